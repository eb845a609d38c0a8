// The client's requests: each waits for the reply that carries its
// correlationId. A request made while the connection is down waits in a
// bounded queue; one whose connection dropped before its reply is queued
// again while it has retries left. Its deadline runs from the call, through
// queueing and retries.
import { ErrorCodes, HyphaeError } from '../errors.js';
import { PRIORITY_RANK } from '../priorities.js';

export class RequestTable {
  /** correlationId → request, queued or sent */
  #requests = new Map();
  /** requests waiting for an open connection, oldest first */
  #queue = [];
  #queueSize;

  constructor(queueSize) {
    this.#queueSize = queueSize;
  }

  get size() {
    return this.#requests.size;
  }

  has(correlationId) {
    return this.#requests.has(correlationId);
  }

  /**
   * Registers a request and resolves with its reply envelope (whatever its
   * `success`). Rejects on timeout and on the errors the client passes to
   * `fail`/`failAll`.
   * @param {object} envelope with a unique correlationId
   * @param {string} text the envelope as JSON, what goes on the wire
   * @param {{ timeout: number, retries: number, rank?: number }} limits rank: PRIORITY_RANK's
   */
  track(envelope, text, { timeout, retries, rank = PRIORITY_RANK.normal }) {
    let request;
    const promise = new Promise((resolve, reject) => {
      request = { envelope, text, retries, rank, resolve, reject, sent: false, timer: null };
    });
    request.timer = setTimeout(() => {
      this.#forget(request);
      request.reject(
        new HyphaeError(ErrorCodes.CLIENT_TIMEOUT, `No reply to ${describe(envelope)} within ${timeout} ms`),
      );
    }, timeout);
    this.#requests.set(envelope.correlationId, request);
    return { request, promise };
  }

  /** Queues a tracked request; false (and the request is dropped) when full. */
  enqueue(request) {
    if (this.#queue.length >= this.#queueSize) {
      this.#forget(request);
      request.reject(
        new HyphaeError(
          ErrorCodes.CLIENT_QUEUE_FULL,
          `${this.#queueSize} requests are already waiting for a connection; ${describe(request.envelope)} was not queued`,
        ),
      );
      return false;
    }
    this.#queue.push(request);
    return true;
  }

  /**
   * Empties the queue and returns what was in it: by priority, high first,
   * and in queue order within a priority (Array#sort is stable).
   */
  takeQueued() {
    const queued = this.#queue;
    this.#queue = [];
    return queued.sort((a, b) => a.rank - b.rank);
  }

  /** Settles the request a reply belongs to; false when none is waiting. */
  settle(correlationId, reply) {
    const request = this.#requests.get(correlationId);
    if (!request || !request.sent) return false;
    this.#forget(request);
    request.resolve(reply);
    return true;
  }

  /** Resolves one request that was answered another way (the REST fallback). */
  complete(request, reply) {
    if (this.#requests.get(request.envelope.correlationId) !== request) return;
    this.#forget(request);
    request.resolve(reply);
  }

  /** Rejects one request. */
  fail(request, error) {
    if (this.#requests.get(request.envelope.correlationId) !== request) return;
    this.#forget(request);
    request.reject(error);
  }

  /**
   * The connection that carried the sent requests is gone: each with
   * retries left goes back to the front of the queue, in its order; the
   * rest are rejected.
   */
  connectionLost(reason) {
    const resend = [];
    for (const request of this.#requests.values()) {
      if (!request.sent) continue;
      request.sent = false;
      if (request.retries > 0) {
        request.retries -= 1;
        resend.push(request);
      } else {
        this.#forget(request);
        request.reject(
          new HyphaeError(
            ErrorCodes.CLIENT_DISCONNECTED,
            `The connection closed before the reply to ${describe(request.envelope)} (${reason})`,
          ),
        );
      }
    }
    this.#queue = [...resend, ...this.#queue];
  }

  /** Rejects every request, queued or sent, with `error`; `keep` spares some. */
  failAll(error, keep = () => false) {
    for (const request of [...this.#requests.values()]) if (!keep(request)) this.fail(request, error);
  }

  #forget(request) {
    clearTimeout(request.timer);
    this.#requests.delete(request.envelope.correlationId);
    const index = this.#queue.indexOf(request);
    if (index !== -1) this.#queue.splice(index, 1);
  }
}

function describe(envelope) {
  return `${JSON.stringify(envelope.path)} (correlationId ${envelope.correlationId})`;
}

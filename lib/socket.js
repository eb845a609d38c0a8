// One client connection as JavaScript sees it. Sends go straight to the
// native core (which posts them to the connection's io thread); events come
// from the server's batched dispatcher, in order per connection.
import { EventEmitter } from 'node:events';
import { ErrorCodes, HyphaeError } from './errors.js';
import { isSendableCloseCode } from './close-codes.js';

/** Module-private hook the server uses to mark a socket closed. */
export const kMarkClosed = Symbol('hyphae.markClosed');

export const ReadyState = Object.freeze({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });

const MAX_CLOSE_REASON_BYTES = 123;

export class ServerWebSocket extends EventEmitter {
  static CONNECTING = ReadyState.CONNECTING;
  static OPEN = ReadyState.OPEN;
  static CLOSING = ReadyState.CLOSING;
  static CLOSED = ReadyState.CLOSED;

  #native;
  #mirror;
  #topics = new Set();

  /**
   * @param {any} native the NativeServer
   * @param {number} id
   * @param {{ remoteAddress: string, remotePort: number, url: string, headers: Record<string, string> }} request
   * @param {import('./topic-mirror.js').TopicMirror} mirror the server's subscriptions
   */
  constructor(native, id, request, mirror, server) {
    super();
    this.#native = native;
    this.#mirror = mirror;
    /** The WebSocketServer this connection belongs to. */
    this.server = server;
    /** Connection id, unique within the server. */
    this.id = id;
    this.remoteAddress = request.remoteAddress;
    this.remotePort = request.remotePort;
    /** Request target as the client sent it (path and query). */
    this.url = request.url;
    /** Request headers, names in lower case. */
    this.headers = request.headers;
    /** The negotiated subprotocol ('' when none). */
    this.protocol = request.protocol ?? '';
    this.readyState = ReadyState.OPEN;
    /** Application data for this connection; never touched by hyphae. */
    this.data = undefined;
  }

  /**
   * Bytes queued for this connection and not yet written to its socket,
   * counted from the moment send() returns.
   */
  get bufferedAmount() {
    return this.readyState === ReadyState.CLOSED ? 0 : this.#native.bufferedAmount(this.id);
  }

  /**
   * Queues a message. Strings go as text frames, binary data as binary
   * frames unless `isBinary` says otherwise.
   * @returns {number} bytes queued on the wire, or 0 when the connection is not open
   */
  send(data, isBinary) {
    if (this.readyState !== ReadyState.OPEN) {
      assertSendable(data);
      return 0;
    }
    const binary = isBinary === undefined ? typeof data !== 'string' : Boolean(isBinary);
    return this.#native.send(this.id, data, binary);
  }

  /** Starts the closing handshake after everything already sent. Idempotent. */
  close(code = 1000, reason = '') {
    if (!isSendableCloseCode(code)) {
      throw new HyphaeError(
        ErrorCodes.INVALID_CLOSE_CODE,
        `Close code ${String(code)} may not be sent: use 1000, 1001, 1007-1014 or 3000-4999`,
      );
    }
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
      throw new HyphaeError(
        ErrorCodes.INVALID_CLOSE_REASON,
        `Close reason must be a string of at most ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes`,
      );
    }
    if (this.readyState !== ReadyState.OPEN) return;
    this.readyState = ReadyState.CLOSING;
    this.#native.end(this.id, code, reason);
  }

  /** Drops the connection without a closing handshake (the close code is 1006). */
  terminate() {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSING;
    this.#native.terminate(this.id);
  }

  /**
   * Subscribes to a topic; the core fans publishes out to subscribers.
   * @returns {boolean} true when newly subscribed
   */
  subscribe(topic) {
    assertTopic(topic);
    if (this.readyState !== ReadyState.OPEN) return false;
    if (!this.#mirror.add(this, this.#topics, topic)) return false;
    this.#native.subscribe(this.id, topic);
    return true;
  }

  /** @returns {boolean} true when it was subscribed */
  unsubscribe(topic) {
    assertTopic(topic);
    if (!this.#mirror.remove(this, this.#topics, topic)) return false;
    this.#native.unsubscribe(this.id, topic);
    return true;
  }

  isSubscribed(topic) {
    return this.#topics.has(topic);
  }

  /** The topics this connection is subscribed to. */
  get topics() {
    return [...this.#topics];
  }

  /**
   * Publishes to every subscriber of `topic` except this connection (as Bun
   * does). @returns {number} frame bytes, or 0 when nobody else is subscribed
   */
  publish(topic, data, isBinary) {
    assertTopic(topic);
    const others = this.#mirror.count(topic) - (this.#topics.has(topic) ? 1 : 0);
    const binary = isBinary === undefined ? typeof data !== 'string' : Boolean(isBinary);
    const queued = this.#native.publish(topic, data, binary, this.id);
    return others > 0 ? queued : 0;
  }

  /** Sends a ping (at most 125 bytes of data). @returns {boolean} */
  ping(data) {
    if (this.readyState !== ReadyState.OPEN) return false;
    return this.#native.ping(this.id, data);
  }

  /**
   * Sends an unsolicited pong (at most 125 bytes of data), a one-way
   * heartbeat; pings are answered without it. @returns {boolean}
   */
  pong(data) {
    if (this.readyState !== ReadyState.OPEN) return false;
    return this.#native.pong(this.id, data);
  }

  [kMarkClosed]() {
    this.readyState = ReadyState.CLOSED;
    this.#mirror.removeAll(this, this.#topics);
  }
}

export function assertTopic(topic) {
  if (typeof topic === 'string' && topic.length > 0) return;
  throw new HyphaeError(ErrorCodes.INVALID_TOPIC, 'topic must be a non-empty string');
}

/** True for what send() accepts: a string or binary data. */
export function isSendable(data) {
  return typeof data === 'string' || ArrayBuffer.isView(data) || data instanceof ArrayBuffer;
}

export function assertSendable(data) {
  if (isSendable(data)) return;
  throw new HyphaeError(
    ErrorCodes.INVALID_DATA,
    'data must be a string, Buffer, TypedArray, DataView or ArrayBuffer',
  );
}

// A client for hyphae's envelope protocol (seed 001's request/reply, seed
// 002's topic events) with what seed 004 asks of a client: authentication
// when each connection opens, reconnection with exponential backoff,
// requests queued while the connection is down, replies as confirmation
// and retries for requests whose connection dropped.
//
// It runs on any WHATWG WebSocket (browsers, Node >= 22, Deno, Bun) or on
// the `ws` package, and imports nothing from Node.
import { ErrorCodes, HyphaeError } from '../errors.js';
import { reconnectDelay } from './backoff.js';
import { Listeners } from './listeners.js';
import { clientOptions, requestLimits } from './options.js';
import { RequestTable } from './requests.js';
import { exchangeOverRest, tokenOf } from './rest.js';
import { Heartbeat } from './heartbeat.js';

export const ClientState = Object.freeze({
  IDLE: 'idle',
  CONNECTING: 'connecting',
  AUTHENTICATING: 'authenticating',
  OPEN: 'open',
  RECONNECTING: 'reconnecting',
  DISCONNECTED: 'disconnected',
  CLOSED: 'closed',
});

const SUBSCRIBE_PATH = 'websocket://subscribe';
const UNSUBSCRIBE_PATH = 'websocket://unsubscribe';
const ACK_PATH = 'websocket://ack';
const HEARTBEAT_PATH = 'websocket://heartbeat';
/** How many reliable-delivery ids the client remembers to drop repeats. */
const REMEMBERED_DELIVERIES = 1000;

let clientsMade = 0;

export class HyphaeClient {
  #options;
  #listeners = new Listeners();
  #requests;
  #state = ClientState.IDLE;
  /** The current WebSocket, from its creation to its close event. */
  #socket = null;
  /** Failed attempts since the last connection that became open. */
  #attempt = 0;
  #reconnectTimer = null;
  /** connect() calls waiting for an open connection */
  #readyWaiters = [];
  /** topic → { listeners, waiters, confirmed }; re-subscribed on every connection */
  #topics = new Map();
  #idPrefix;
  #nextId = 0;
  #everOpen = false;
  /** Set when the server refused authentication: no reconnection after that. */
  #authFailure = null;
  #auth = null;
  #closing = null;
  /** Ids of reliable deliveries already handed out, oldest first (bounded). */
  #delivered = new Set();
  #heartbeat = null;

  /** @param {object} options see docs/client.md */
  constructor(options) {
    this.#options = clientOptions(options);
    this.#requests = new RequestTable(this.#options.queueSize);
    if (this.#options.heartbeat) {
      this.#heartbeat = new Heartbeat(this.#options.heartbeat, {
        probe: (timeout) => this.#exchangeNow({ path: HEARTBEAT_PATH }, timeout),
        onBeat: (rtt) => this.#emit('heartbeat', { rtt }),
        onLost: () => this.#abandon('Heartbeat timeout'),
      });
    }
    clientsMade += 1;
    this.#idPrefix = `c${clientsMade.toString(36)}${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
  }

  get state() {
    return this.#state;
  }

  get url() {
    return this.#options.url;
  }

  /** What the server's authentication reply carried (`data`), or null. */
  get auth() {
    return this.#auth;
  }

  /** The topics this client asks to be subscribed to, on every connection. */
  get topics() {
    return [...this.#topics.keys()];
  }

  /** Requests waiting for a reply or for a connection. */
  get pendingRequests() {
    return this.#requests.size;
  }

  /** Adds a listener; returns a function that removes it. */
  on(event, listener) {
    return this.#listeners.on(event, listener);
  }

  off(event, listener) {
    this.#listeners.off(event, listener);
  }

  /**
   * Resolves once a connection is open (and authenticated, with `auth`).
   * Rejects when the client gives up: the attempts ran out, authentication
   * was refused, or close() was called.
   */
  connect() {
    if (this.#state === ClientState.CLOSED) return Promise.reject(closedError());
    if (this.#state === ClientState.OPEN) return Promise.resolve();
    const ready = new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    if (this.#state === ClientState.IDLE || this.#state === ClientState.DISCONNECTED) {
      this.#attempt = 0;
      this.#authFailure = null;
      this.#openSocket();
    }
    return ready;
  }

  /**
   * Sends `{ path, body, correlationId, metadata }` and resolves with the
   * reply's `data`; a reply with `success: false` rejects with
   * ERR_HYPHAE_CLIENT_REQUEST_FAILED (`replyCode` is the server's code).
   */
  request(path, body, options = {}) {
    const { metadata } = options ?? {};
    const message = metadata === undefined ? { path, body } : { path, body, metadata };
    return this.exchange(message, options).then((reply) => {
      if (reply.success === false) throw requestFailed(reply);
      return reply.data;
    });
  }

  /**
   * Sends an envelope of your own (`path` required; a `correlationId` is
   * added when it has none) and resolves with the whole reply, whatever its
   * `success`. Queued while the connection is down.
   */
  exchange(message, options = {}) {
    let limits;
    try {
      limits = requestLimits(options ?? {}, this.#options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#state === ClientState.CLOSED) return Promise.reject(closedError());
    const overRest = this.#state !== ClientState.OPEN && this.#webSocketFailed() && this.#options.rest !== null;
    if (this.#state === ClientState.DISCONNECTED && !overRest) return Promise.reject(notConnected());
    const prepared = this.#prepare(message);
    if (prepared instanceof Error) return Promise.reject(prepared);
    const { request, promise } = this.#requests.track(prepared.envelope, prepared.text, limits);
    if (this.#state === ClientState.OPEN) this.#transmit(request);
    else if (overRest) this.#sendOverRest(request, limits.timeout);
    else this.#requests.enqueue(request);
    return promise;
  }

  /**
   * Sends data as it is, outside the request/reply protocol: a string or
   * binary data as is, anything else as JSON. Only while open.
   */
  send(data) {
    if (this.#state !== ClientState.OPEN) throw notConnected();
    const binary = data instanceof ArrayBuffer || ArrayBuffer.isView(data);
    this.#socket.send(typeof data === 'string' || binary ? data : JSON.stringify(data));
  }

  /**
   * Asks the server to subscribe this client to `topic` (the facet's
   * `websocket://subscribe`), now and on every later connection. `listener`
   * gets `(payload, event)` for each topic event (`type: 'event'`,
   * `action: topic`). Resolves with the server's answer once it came.
   */
  subscribe(topic, listener) {
    if (typeof topic !== 'string' || topic === '') {
      return Promise.reject(new HyphaeError(ErrorCodes.INVALID_TOPIC, 'A topic must be a non-empty string'));
    }
    if (listener !== undefined && typeof listener !== 'function') {
      return Promise.reject(new HyphaeError(ErrorCodes.INVALID_HANDLER, 'A topic listener must be a function'));
    }
    if (this.#state === ClientState.CLOSED) return Promise.reject(closedError());
    if (this.#state === ClientState.DISCONNECTED) return Promise.reject(notConnected());
    let entry = this.#topics.get(topic);
    const isNew = entry === undefined;
    if (isNew) {
      this.#topics.set(topic, (entry = { listeners: new Set(), waiters: [], confirmed: false, lastEventId: null }));
    }
    if (listener) entry.listeners.add(listener);
    if (entry.confirmed) return Promise.resolve({ topic, subscribed: true, changed: false });
    const answered = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    if (isNew && this.#state === ClientState.OPEN) this.#subscribeOnServer(topic, entry);
    return answered;
  }

  /** Drops `topic` and its listeners, and tells the server when connected. */
  unsubscribe(topic) {
    const entry = this.#topics.get(topic);
    if (entry === undefined) return Promise.resolve({ topic, subscribed: false, changed: false });
    this.#topics.delete(topic);
    for (const waiter of entry.waiters) waiter.resolve({ topic, subscribed: false, changed: false });
    if (this.#state !== ClientState.OPEN) return Promise.resolve({ topic, subscribed: false, changed: true });
    return this.#exchangeNow({ path: UNSUBSCRIBE_PATH, body: { topic } }).then((reply) => {
      if (reply.success === false) throw requestFailed(reply);
      return reply.data;
    });
  }

  /**
   * Closes for good: no reconnection; waiting requests reject with
   * ERR_HYPHAE_CLIENT_CLOSED. Resolves once the connection is closed.
   */
  close(code = 1000, reason = '') {
    if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
      throw new HyphaeError(ErrorCodes.INVALID_CLOSE_CODE, `A client may close with 1000 or 3000-4999; got ${code}`);
    }
    if (this.#state === ClientState.CLOSED) return this.#closing;
    this.#setState(ClientState.CLOSED);
    this.#heartbeat?.stop();
    this.#settleAll(closedError());
    const socket = this.#socket;
    if (socket === null) return (this.#closing = Promise.resolve());
    this.#closing = new Promise((resolve) => socket.addEventListener('close', () => resolve(), { once: true }));
    socket.close(code, reason);
    return this.#closing;
  }

  async #openSocket() {
    this.#setState(this.#everOpen ? ClientState.RECONNECTING : ClientState.CONNECTING);
    let WebSocketClass;
    try {
      WebSocketClass = await this.#webSocketClass();
    } catch (error) {
      return this.#giveUp(error);
    }
    if (this.#state === ClientState.CLOSED) return;
    let socket;
    try {
      socket = new WebSocketClass(this.#options.url, this.#options.protocols);
    } catch (error) {
      return this.#giveUp(
        new HyphaeError(ErrorCodes.CLIENT_CONNECT_FAILED, `Cannot open ${this.#options.url}: ${error.message}`, {
          cause: error,
        }),
      );
    }
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => this.#onSocketOpen(socket));
    socket.addEventListener('message', (event) => {
      if (socket === this.#socket) this.#onMessage(event.data);
    });
    socket.addEventListener('error', (event) => {
      if (socket !== this.#socket || this.#state === ClientState.CLOSED) return;
      const text = event.message || event.error?.message || 'WebSocket error';
      this.#emitError(new HyphaeError(ErrorCodes.CLIENT_SOCKET, text, { cause: event.error }));
    });
    socket.addEventListener('close', (event) => this.#onSocketClose(socket, event.code, event.reason));
  }

  async #webSocketClass() {
    if (this.#options.WebSocket) return this.#options.WebSocket;
    if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
    try {
      const ws = await import('ws');
      return ws.WebSocket ?? ws.default;
    } catch (error) {
      throw new HyphaeError(
        ErrorCodes.CLIENT_NO_WEBSOCKET,
        'No WebSocket implementation: this runtime has no global WebSocket and the ws package is not installed; install ws or pass options.WebSocket',
        { cause: error },
      );
    }
  }

  async #onSocketOpen(socket) {
    if (socket !== this.#socket) return;
    const { auth } = this.#options;
    if (auth === undefined) return this.#ready(null);
    this.#setState(ClientState.AUTHENTICATING);
    let body;
    try {
      body = typeof auth === 'function' ? await auth() : auth;
    } catch (error) {
      return this.#refused(
        socket,
        new HyphaeError(ErrorCodes.CLIENT_AUTH_FAILED, `The auth option failed: ${error.message}`, { cause: error }),
      );
    }
    if (socket !== this.#socket || this.#state !== ClientState.AUTHENTICATING) return;
    let reply;
    try {
      reply = await this.#exchangeNow({ path: this.#options.authPath, body });
    } catch {
      // No answer in time, or the connection went: this attempt failed,
      // and the close handler decides about the next one.
      if (socket === this.#socket) socket.close(1000, 'Authentication timed out');
      return;
    }
    if (socket !== this.#socket || this.#state !== ClientState.AUTHENTICATING) return;
    if (reply.success === false) {
      const error = new HyphaeError(ErrorCodes.CLIENT_AUTH_FAILED, reply.error?.message ?? 'Authentication failed');
      error.reply = reply;
      return this.#refused(socket, error);
    }
    this.#ready(reply.data ?? null);
  }

  #ready(auth) {
    const reconnected = this.#everOpen;
    this.#everOpen = true;
    this.#attempt = 0;
    this.#auth = auth;
    this.#setState(ClientState.OPEN);
    // Subscriptions first, so that queued requests run with them in place.
    for (const [topic, entry] of this.#topics) this.#subscribeOnServer(topic, entry);
    for (const request of this.#requests.takeQueued()) this.#transmit(request);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    this.#heartbeat?.start();
    this.#emit('open', { reconnected, auth });
  }

  /**
   * Gives up a connection that stopped answering without closing: it is
   * treated as lost (1006) at once, since its close handshake could take
   * as long as the dead network lets it.
   */
  #abandon(reason) {
    const socket = this.#socket;
    if (socket === null || this.#state !== ClientState.OPEN) return;
    if (typeof socket.terminate === 'function') socket.terminate();
    else socket.close(4000, reason);
    this.#onSocketClose(socket, 1006, reason);
  }

  #refused(socket, error) {
    this.#authFailure = error;
    socket.close(1000, 'Authentication refused');
  }

  #onSocketClose(socket, code, reason) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#heartbeat?.stop();
    const wasOpen = this.#state === ClientState.OPEN;
    this.#requests.connectionLost(`close code ${code}`);
    for (const entry of this.#topics.values()) entry.confirmed = false;
    this.#emit('close', { code, reason, wasOpen });
    if (this.#state === ClientState.CLOSED) return;
    if (this.#authFailure) return this.#giveUp(this.#authFailure);
    const reconnect = this.#options.reconnect;
    let worthIt = true;
    if (wasOpen) {
      try {
        worthIt = Boolean(reconnect.shouldReconnect(code, reason));
      } catch (error) {
        this.#emitError(error);
        worthIt = false;
      }
    }
    if (!reconnect.enabled || !worthIt || this.#attempt >= reconnect.maxAttempts) {
      const ending = reason ? `code ${code}, "${reason}"` : `code ${code}`;
      return this.#giveUp(
        wasOpen
          ? new HyphaeError(ErrorCodes.CLIENT_DISCONNECTED, `The connection closed (${ending})`)
          : new HyphaeError(
              ErrorCodes.CLIENT_CONNECT_FAILED,
              `Could not connect to ${this.#options.url} after ${this.#attempt + 1} attempt(s) (last close ${ending})`,
            ),
      );
    }
    const delay = reconnectDelay(this.#attempt, reconnect);
    this.#attempt += 1;
    this.#setState(this.#everOpen ? ClientState.RECONNECTING : ClientState.CONNECTING);
    this.#queueOverRest();
    this.#emit('reconnecting', { attempt: this.#attempt, delay, code, reason });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state !== ClientState.CLOSED) this.#openSocket();
    }, delay);
  }

  /** With a REST fallback, what waited for the WebSocket goes over HTTP instead. */
  #queueOverRest() {
    if (this.#options.rest === null) return;
    for (const request of this.#requests.takeQueued()) this.#sendOverRest(request, this.#options.timeout);
  }

  /** The client stops trying; connect() may start it again. */
  #giveUp(error) {
    this.#setState(ClientState.DISCONNECTED);
    if (!this.#authFailure) this.#queueOverRest();
    this.#settleAll(error);
    this.#emit('disconnected', error);
  }

  #settleAll(error) {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    // Giving up on the WebSocket leaves requests on their way over REST be.
    const closing = this.#state === ClientState.CLOSED;
    this.#requests.failAll(error, (request) => !closing && request.overRest === true);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(error);
    for (const entry of this.#topics.values()) for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    if (this.#state === ClientState.CLOSED) this.#topics.clear();
  }

  #onMessage(data) {
    if (typeof data !== 'string') return this.#emit('message', data);
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return this.#emit('message', data);
    }
    const isObject = message !== null && typeof message === 'object' && !Array.isArray(message);
    if (isObject && 'success' in message && message.correlationId != null) {
      if (this.#requests.settle(message.correlationId, message)) return;
      // A reply to one of ours that gave up waiting (timed out): dropped.
      if (String(message.correlationId).startsWith(`${this.#idPrefix}-`)) return;
    }
    if (isObject && message.requiresAck === true && typeof message.id === 'string') {
      if (!this.#confirmDelivery(message.id)) return; // a repeat: confirmed again, not handed out again
    }
    if (isObject && message.type === 'event' && typeof message.action === 'string') {
      this.#emit('event', message);
      const entry = this.#topics.get(message.action);
      if (entry && typeof message.id === 'string') entry.lastEventId = message.id;
      if (entry) {
        for (const listener of [...entry.listeners]) {
          try {
            listener(message.payload, message);
          } catch (error) {
            this.#emitError(error);
          }
        }
      }
    }
    this.#emit('message', message);
  }

  /**
   * Confirms a reliable delivery (the server sends it again on every new
   * connection until it is confirmed). False when it was handed out already.
   */
  #confirmDelivery(id) {
    this.#exchangeNow({ path: ACK_PATH, body: { id } }).catch(() => {
      // The connection went first: the server sends it again on the next.
    });
    if (this.#delivered.has(id)) return false;
    this.#delivered.add(id);
    if (this.#delivered.size > REMEMBERED_DELIVERIES) this.#delivered.delete(this.#delivered.values().next().value);
    return true;
  }

  #subscribeOnServer(topic, entry) {
    // After a lost connection, `since` asks the server (topicHistory) for
    // the events published meanwhile.
    const body = entry.lastEventId === null ? { topic } : { topic, since: entry.lastEventId };
    this.#exchangeNow({ path: SUBSCRIBE_PATH, body }).then(
      (reply) => {
        if (this.#topics.get(topic) !== entry) return; // unsubscribed meanwhile
        if (reply.success === false) {
          this.#topics.delete(topic);
          return this.#topicFailed(entry, requestFailed(reply));
        }
        entry.confirmed = true;
        for (const waiter of entry.waiters.splice(0)) waiter.resolve(reply.data);
      },
      (error) => {
        // A lost connection sends it again on the next one.
        if (error.code === ErrorCodes.CLIENT_DISCONNECTED || this.#topics.get(topic) !== entry) return;
        this.#topicFailed(entry, error);
      },
    );
  }

  #topicFailed(entry, error) {
    if (entry.waiters.length === 0) return this.#emitError(error);
    for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
  }

  /** A request sent at once on the current connection, never queued or retried. */
  #exchangeNow(message, timeout = this.#options.timeout) {
    const { envelope, text } = this.#prepare(message);
    const { request, promise } = this.#requests.track(envelope, text, { timeout, retries: 0 });
    this.#transmit(request);
    return promise;
  }

  #prepare(message) {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      return new HyphaeError(ErrorCodes.INVALID_DATA, 'A request must be an object with a path');
    }
    if (typeof message.path !== 'string' || message.path === '') {
      return new HyphaeError(ErrorCodes.INVALID_DATA, 'A request needs a non-empty string path');
    }
    const envelope = { ...message, correlationId: message.correlationId ?? this.#newCorrelationId() };
    if (this.#requests.has(envelope.correlationId)) {
      return new HyphaeError(
        ErrorCodes.INVALID_DATA,
        `correlationId ${JSON.stringify(envelope.correlationId)} is already waiting for a reply`,
      );
    }
    try {
      return { envelope, text: JSON.stringify(envelope) };
    } catch (error) {
      return new HyphaeError(ErrorCodes.INVALID_DATA, `The request cannot be sent as JSON: ${error.message}`, {
        cause: error,
      });
    }
  }

  /** True once a connection attempt failed or an open connection was lost, until the next one opens. */
  #webSocketFailed() {
    return (
      this.#state === ClientState.DISCONNECTED ||
      this.#state === ClientState.RECONNECTING ||
      (this.#state === ClientState.CONNECTING && this.#attempt > 0)
    );
  }

  /** Seed 004's fallback: the request goes as an HTTP POST to the server's REST endpoint. */
  async #sendOverRest(request, timeout) {
    request.overRest = true;
    try {
      const { auth } = this.#options;
      const token = tokenOf(typeof auth === 'function' ? await auth() : auth);
      const reply = await exchangeOverRest(this.#options.rest, request.text, { timeout, token });
      this.#requests.complete(request, reply);
    } catch (error) {
      this.#requests.fail(request, error);
    }
  }

  #transmit(request) {
    request.sent = true;
    try {
      this.#socket.send(request.text);
    } catch (error) {
      // The socket is closing: its close event re-queues or rejects this.
      this.#emitError(new HyphaeError(ErrorCodes.CLIENT_SOCKET, error.message, { cause: error }));
    }
  }

  #newCorrelationId() {
    this.#nextId += 1;
    return `${this.#idPrefix}-${this.#nextId}`;
  }

  #setState(state) {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#emit('state', state, previous);
  }

  #emit(event, ...args) {
    this.#listeners.emit(event, args, (error) => this.#emitError(error));
  }

  #emitError(error) {
    // A throwing 'error' listener is not called again for its own throw.
    this.#listeners.emit('error', [error], () => {});
  }
}

function closedError() {
  return new HyphaeError(ErrorCodes.CLIENT_CLOSED, 'The client was closed');
}

function notConnected() {
  return new HyphaeError(
    ErrorCodes.CLIENT_NOT_CONNECTED,
    'The client is not connected and not trying to be: call connect() first',
  );
}

function requestFailed(reply) {
  const error = new HyphaeError(
    ErrorCodes.CLIENT_REQUEST_FAILED,
    reply.error?.message ?? 'The server answered with a failure',
  );
  error.replyCode = reply.error?.code ?? null;
  error.reply = reply;
  return error;
}

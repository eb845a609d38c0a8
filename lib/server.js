// WebSocketServer: the plain JS face of the native core. Events arrive from
// the core in batches (one JS call per batch) and are fanned out here to the
// behaviour handlers given as options and to EventEmitter listeners.
import { EventEmitter } from 'node:events';
import { NativeServer } from './native.js';
import { ErrorCodes, HyphaeError, invalidOption } from './errors.js';
import { resolveServerOptions } from './options.js';
import { ServerWebSocket, asBinaryType, assertSendable, assertTopic, kMarkClosed, peerSocket } from './socket.js';
import { ClientSet } from './client-set.js';
import { headersFromListeners } from './response-headers.js';
import { TopicMirror } from './topic-mirror.js';
import { abortUpgrade, socketDescriptor, upgradeRequestBytes } from './attach.js';

// Event kinds as the native EventPump numbers them.
const OPEN = 1;
const TEXT = 2;
const BINARY = 3;
const ERROR = 4;
const CLOSE = 5;
const SERVER_CLOSED = 6;
const DRAIN = 7;
const UPGRADE = 8;
const PING = 9;
const PONG = 10;
const REFUSED = 11;

// The core's counters when no server runs.
export const IDLE_CORE_STATS = Object.freeze({
  connectionsOpened: 0,
  connectionsClosed: 0,
  messagesIn: 0,
  bytesIn: 0,
  messagesOut: 0,
  bytesOut: 0,
  publishes: 0,
  dropped: 0,
  backpressureEvents: 0,
  readsPaused: 0,
  tlsHandshakesFailed: 0,
  pingTimeouts: 0,
  acceptErrors: 0,
  sameThreadConnections: 0,
});

// An upgrade verdict that accepts: true, nothing, or an object without a status.
const isAcceptance = (verdict) =>
  verdict === undefined || verdict === null || verdict === true || (typeof verdict === 'object' && typeof verdict.status !== 'number');

// [name0, value0, name1, value1, ...] from `start` on -> a headers object.
function headersFrom(list, start) {
  const headers = {};
  for (let h = start; h < list.length; h += 2) {
    const name = list[h];
    headers[name] = name in headers ? `${headers[name]}, ${list[h + 1]}` : list[h + 1];
  }
  return headers;
}

export class WebSocketServer extends EventEmitter {
  #settings;
  #handlers;
  #native = null;
  #connections = new Map();
  #clients = new ClientSet(this.#connections);
  #closing = null;
  #address = null;
  #mirror = new TopicMirror();
  // Per-connection data from the upgrade verdict, until the connection opens.
  #pendingData = new Map();
  // `server` / `noServer`: connections come from a Node HTTP server's
  // 'upgrade' events; the core runs from the first one, with no port of its own.
  #attached;
  #httpServer = null;
  #upgradeListener = null;
  #stopped = false; // close() was called: upgrades get 503 from now on
  // Adopted connections until they open or are refused: id -> { req, callback }.
  #adoptions = new Map();
  #unreferenced = false;
  #holdingLoop = true;
  // ws-style start: made with a `port`, the server listens on the next tick
  // unless listen() comes first. 'pending' until then, 'done' once it did.
  #autoListen = null;

  /**
   * @param {import('../types/index.js').WebSocketServerOptions} [options]
   * @param {() => void} [onListening] ws's constructor callback: a 'listening' listener
   */
  constructor(options = {}, onListening) {
    super();
    if (onListening !== undefined && typeof onListening !== 'function') {
      throw invalidOption('callback', 'a function', onListening);
    }
    const { settings, handlers } = resolveServerOptions(options);
    const { server, noServer, ...rest } = settings;
    this.#settings = rest;
    this.#handlers = handlers;
    this.#attached = server !== undefined || noServer === true;
    if (server !== undefined) {
      this.#httpServer = server;
      this.#listenForUpgrades();
    }
    if (onListening) this.once('listening', onListening);
    if (!this.#attached && options.port !== undefined) {
      this.#autoListen = 'pending';
      process.nextTick(() => this.#listenOnItsOwn());
    }
  }

  // As ws does with `port`: listening errors go to 'error' listeners (an
  // unheard one is thrown, as from any EventEmitter).
  #listenOnItsOwn() {
    if (this.#autoListen !== 'pending') return;
    try {
      this.#address = this.#startCore({ ...this.#settings });
    } catch (error) {
      this.#autoListen = null;
      this.emit('error', error);
      return;
    }
    this.#autoListen = 'done';
    this.emit('listening', this.#address);
  }

  /** True between a successful listen() and the end of close(). */
  get listening() {
    return this.#native !== null && this.#closing === null;
  }

  /**
   * The open connections: a live, read-only Set-like view (iterating yields
   * sockets, as ws's `clients` Set does) with `get(id)` besides.
   */
  get clients() {
    return this.#clients;
  }

  get connectionCount() {
    return this.#connections.size;
  }

  /**
   * Binds and starts accepting. `port`/`host` override the constructor's.
   * @returns {Promise<{ address: string, port: number, family: string }>}
   */
  async listen(port, host) {
    if (this.#attached) {
      throw new HyphaeError(ErrorCodes.ATTACHED, 'This server takes its connections from an HTTP server (server / noServer): it does not listen itself');
    }
    const auto = this.#autoListen;
    this.#autoListen = null; // a pending ws-style start is this call's now
    if (this.#native) {
      // Listening already from its constructor's `port`: the same address.
      const same = (port === undefined || port === this.#address.port) && (host === undefined || host === this.#settings.host);
      if (auto === 'done' && same) return this.#address;
      throw new HyphaeError(ErrorCodes.ALREADY_LISTENING, 'The server is already listening');
    }
    const settings = { ...this.#settings };
    if (port !== undefined) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidOption('port', 'an integer from 0 to 65535', port);
      settings.port = port;
    }
    if (host !== undefined) {
      if (typeof host !== 'string' || host.length === 0) throw invalidOption('host', 'a non-empty string', host);
      settings.host = host;
    }
    this.#address = this.#startCore(settings);
    this.emit('listening', this.#address);
    return this.#address;
  }

  // Creates and starts the native server: listening on its own port, or,
  // with `settings.attach`, serving only what handleUpgrade() hands it.
  #startCore(settings) {
    // Operations issued outside a dispatch are handed to the core from a
    // microtask, one batch per io thread (inside a dispatch, right after it).
    let native = null;
    const flush = () => native?.flush();
    // 'headers' listeners (ws) see each accepted upgrade's response: they
    // need the same trip through JS as an upgrade handler.
    settings.decideUpgrades = Boolean(this.#handlers.upgrade || this.#handlers.handleProtocols || this.listenerCount('headers') > 0);
    native = new NativeServer(
      settings,
      (meta, count, ...values) => this.#dispatch(meta, values, count),
      () => queueMicrotask(flush),
    );
    const address = native.listen(); // throws a coded Error (EADDRINUSE...) on failure
    this.#native = native;
    return address;
  }

  #startAttachedCore() {
    this.#startCore({ ...this.#settings, attach: true });
    this.#holdingLoop = true;
    this.#holdLoop();
  }

  /**
   * Takes over an upgrade request from a Node HTTP server's 'upgrade' event,
   * as ws's handleUpgrade does: the core answers the handshake on the same
   * TCP connection (every limit and the upgrade handler apply), and
   * `callback(ws, req)` runs when it opens. A refused upgrade gets its HTTP
   * answer and no callback. Node's socket is destroyed: the core serves a
   * duplicate of its descriptor.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:net').Socket} socket
   * @param {Buffer} head
   * @param {(ws: ServerWebSocket, req: import('node:http').IncomingMessage) => void} [callback]
   */
  handleUpgrade(req, socket, head, callback) {
    if (callback !== undefined && typeof callback !== 'function') throw invalidOption('callback', 'a function', callback);
    const fd = socketDescriptor(socket);
    if (this.#closing || this.#stopped || (!this.#native && !this.#attached)) return abortUpgrade(socket, 503);
    if (!this.#native) this.#startAttachedCore();
    // Cached by Node on first read: req.socket.remoteAddress stays readable
    // after the socket is destroyed.
    void socket.remoteAddress;
    const id = this.#native.adopt(fd, upgradeRequestBytes(req, head, socket));
    if (id === 0) return abortUpgrade(socket, 503);
    socket.destroy();
    this.#adoptions.set(id, { req, callback });
    this.#holdLoop();
  }

  /** Whether an upgrade request is for this server's `path` (any, without one). */
  shouldHandle(req) {
    const path = this.#settings.path;
    if (path === undefined) return true;
    const query = req.url.indexOf('?');
    return (query < 0 ? req.url : req.url.slice(0, query)) === path;
  }

  #listenForUpgrades() {
    const server = this.#httpServer;
    this.#upgradeListener = (req, socket, head) => {
      if (!this.shouldHandle(req)) {
        // Another listener of the same HTTP server may want it; if there
        // is none, answer as for a wrong path on hyphae's own port.
        if (server.listenerCount('upgrade') === 1) abortUpgrade(socket, 404);
        return;
      }
      try {
        this.handleUpgrade(req, socket, head);
      } catch (error) {
        abortUpgrade(socket, 500);
        this.#handlerFailed(error);
      }
    };
    server.on('upgrade', this.#upgradeListener);
  }

  // Attached, the core keeps Node alive only while it has connections (or
  // is closing), as ws's sockets do: the HTTP server decides the rest.
  #holdLoop() {
    if (!this.#attached || !this.#native) return;
    const busy = this.#connections.size > 0 || this.#adoptions.size > 0 || this.#closing !== null;
    const hold = busy && !this.#unreferenced;
    if (hold === this.#holdingLoop) return;
    this.#holdingLoop = hold;
    if (hold) this.#native.ref();
    else this.#native.unref();
  }

  /** The bound address, or null when not listening. */
  address() {
    return this.listening ? this.#address : null;
  }

  /**
   * Stops accepting, closes every connection with 1001 "Server shutting
   * down" and resolves once each has closed (or was dropped after `timeout`
   * ms). Every open connection gets exactly one close event before that.
   */
  close(options = {}, callback = undefined) {
    if (typeof options === 'function') return this.#closeWithCallback(options);
    if (callback !== undefined) {
      if (typeof callback !== 'function') throw invalidOption('callback', 'a function', callback);
      return this.#closeWithCallback(callback, options);
    }
    const { timeout = this.#settings.closeTimeout } = options ?? {};
    if (this.#autoListen === 'pending') this.#autoListen = null;
    if (this.#attached) {
      this.#stopped = true;
      if (this.#upgradeListener) this.#httpServer.removeListener('upgrade', this.#upgradeListener);
      this.#upgradeListener = null;
    }
    if (!this.#native) return Promise.resolve();
    if (this.#closing) return this.#closing.promise;
    if (!Number.isInteger(timeout) || timeout < 0) throw invalidOption('timeout', 'a non-negative integer (milliseconds)', timeout);
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    this.#closing = { promise, resolve };
    for (const socket of this.#connections.values()) {
      if (socket.readyState === ServerWebSocket.OPEN) socket.readyState = ServerWebSocket.CLOSING;
    }
    this.#holdLoop();
    this.#native.close(timeout);
    return promise;
  }

  // ws's close(callback): called once closed, or with an Error when the
  // server was not running.
  #closeWithCallback(callback, options) {
    const running = this.#native !== null || this.#autoListen === 'pending' || (this.#attached && !this.#stopped);
    const done = this.close(options);
    done.then(
      () => (running ? callback() : callback(new HyphaeError(ErrorCodes.NOT_RUNNING, 'The server is not running'))),
      callback,
    );
    return done;
  }

  /**
   * Sends to a connection by id.
   * @returns {number} bytes queued, or 0 for an unknown or closed connection
   */
  send(id, data, isBinary) {
    const socket = this.#connections.get(id);
    if (!socket) {
      assertSendable(data);
      return 0;
    }
    return socket.send(data, isBinary);
  }

  /**
   * Publishes to every subscriber of `topic`. The payload is copied once and
   * shared by all recipients; subscribers over maxBackpressure skip it.
   * @returns {number} frame bytes, or 0 when the topic has no subscribers
   */
  publish(topic, data, isBinary) {
    assertTopic(topic);
    if (!this.#native) return 0;
    const binary = isBinary === undefined ? typeof data !== 'string' : Boolean(isBinary);
    const queued = this.#native.publish(topic, data, binary);
    return this.#mirror.count(topic) > 0 ? queued : 0;
  }

  /** Subscribers of a topic, counted when subscribe/unsubscribe/close happen. */
  subscriberCount(topic) {
    return this.#mirror.count(topic);
  }

  /** Topics with at least one subscriber. */
  topics() {
    return this.#mirror.names();
  }

  /** Total subscriptions over all connections. */
  get subscriptionCount() {
    return this.#mirror.subscriptionCount;
  }

  /** Counters of the core since listen() (zeros when not listening). */
  stats() {
    const core = this.#native?.stats() ?? IDLE_CORE_STATS;
    return { ...core, connections: this.#connections.size, topics: this.#mirror.topicCount, subscriptions: this.#mirror.subscriptionCount };
  }

  /** Keeps the process alive while listening (the default). */
  ref() {
    this.#unreferenced = false;
    if (this.#attached) this.#holdLoop();
    else this.#native?.ref();
    return this;
  }

  /** Lets the process exit even though the server is listening. */
  unref() {
    this.#unreferenced = true;
    if (this.#attached) this.#holdLoop();
    else this.#native?.unref();
    return this;
  }

  #dispatch(meta, values, count) {
    for (let i = 0; i < count; i++) {
      const kind = meta[i * 3];
      const id = meta[i * 3 + 1];
      try {
        switch (kind) {
          case TEXT:
          case BINARY:
            this.#onMessage(id, values[i], kind === BINARY);
            break;
          case OPEN:
            this.#onOpen(id, values[i]);
            break;
          case CLOSE:
            this.#onClose(id, meta[i * 3 + 2], values[i]);
            break;
          case ERROR:
            this.#onError(id, values[i]);
            break;
          case DRAIN:
            this.#onDrain(id);
            break;
          case UPGRADE:
            this.#onUpgrade(id, values[i]);
            break;
          case PING:
            this.#onControl(id, 'ping', values[i]);
            break;
          case PONG:
            this.#onControl(id, 'pong', values[i]);
            break;
          case REFUSED:
            this.#adoptions.delete(id);
            this.#holdLoop();
            break;
          case SERVER_CLOSED:
            this.#onServerClosed();
            break;
        }
      } catch (error) {
        this.#handlerFailed(error);
      }
    }
  }

  // The application's upgrade(request) decides; the socket waits natively
  // (the handshake timeout still applies).
  #onUpgrade(id, value) {
    const url = value[2];
    const query = url.indexOf('?');
    const request = {
      url,
      path: query < 0 ? url : url.slice(0, query),
      query: new URLSearchParams(query < 0 ? '' : url.slice(query + 1)),
      headers: headersFrom(value, 4),
      remoteAddress: value[0],
      remotePort: value[1],
      protocols: value[3] ? value[3].split(',').map((p) => p.trim()).filter(Boolean) : [],
    };
    const failed = (error) => {
      this.#decide(id, { status: 500, message: 'Internal Server Error' });
      this.#handlerFailed(error);
    };
    const { upgrade, handleProtocols } = this.#handlers;
    // After an accepting verdict without a protocol of its own, ws-style
    // handleProtocols(Set, request) picks one of the offered names.
    const settle = (verdict) => {
      if (!handleProtocols || !isAcceptance(verdict) || verdict?.protocol) return this.#decide(id, verdict, request);
      const apply = (chosen) => {
        const protocol = typeof chosen === 'string' && request.protocols.includes(chosen) ? chosen : '';
        this.#decide(id, { ...(typeof verdict === 'object' ? verdict : {}), protocol }, request);
      };
      let chosen;
      try {
        chosen = handleProtocols(new Set(request.protocols), request);
      } catch (error) {
        return failed(error);
      }
      if (chosen && typeof chosen.then === 'function') chosen.then(apply, failed);
      else apply(chosen);
    };
    let verdict;
    try {
      verdict = upgrade ? upgrade(request) : true;
    } catch (error) {
      return failed(error);
    }
    if (verdict && typeof verdict.then === 'function') verdict.then(settle, failed);
    else settle(verdict);
  }

  // true / undefined / { data?, headers?, protocol? } accept; false rejects
  // with 401; { status, message? } rejects with that status.
  // `request`: for 'headers' listeners, which see every accepted upgrade.
  #decide(id, verdict, request = undefined) {
    const native = this.#native;
    if (!native) return;
    if (verdict === false) return native.decideUpgrade(id, false, 401, 'Unauthorized');
    const listening = request !== undefined && this.listenerCount('headers') > 0;
    if (verdict === undefined || verdict === null || verdict === true) {
      if (!listening) return native.decideUpgrade(id, true);
      verdict = {};
    }
    if (typeof verdict !== 'object') return native.decideUpgrade(id, false, 500, 'Internal Server Error');
    if (typeof verdict.status === 'number') {
      return native.decideUpgrade(id, false, verdict.status, String(verdict.message ?? ''));
    }
    if (verdict.data !== undefined) this.#pendingData.set(id, verdict.data);
    const headers = [];
    for (const [name, value] of Object.entries(verdict.headers ?? {})) headers.push(name, String(value));
    const protocol = typeof verdict.protocol === 'string' ? verdict.protocol : '';
    if (listening) {
      try {
        headers.push(...headersFromListeners(this, request, protocol, headers));
      } catch (error) {
        this.#pendingData.delete(id);
        native.decideUpgrade(id, false, 500, 'Internal Server Error');
        return this.#handlerFailed(error);
      }
    }
    return native.decideUpgrade(id, true, 0, '', protocol, headers);
  }

  #onOpen(id, value) {
    const headers = headersFrom(value, 4);
    const request = { remoteAddress: value[0], remotePort: value[1], url: value[2], protocol: value[3], headers };
    request.socket = peerSocket(request.remoteAddress, request.remotePort);
    const socket = new ServerWebSocket(this.#native, id, request, this.#mirror, this);
    this.#connections.set(id, socket);
    if (this.#pendingData.has(id)) {
      socket.data = this.#pendingData.get(id);
      this.#pendingData.delete(id);
    }
    if (this.#closing) socket.readyState = ServerWebSocket.CLOSING;
    const adoption = this.#adoptions.get(id);
    if (adoption) {
      this.#adoptions.delete(id);
      this.#holdLoop();
    }
    this.#handlers.open?.(socket);
    // handleUpgrade's callback stands in for 'connection', as in ws (whose
    // users emit it from there).
    if (adoption?.callback) adoption.callback(socket, adoption.req);
    else this.emit('connection', socket, request);
  }

  #onMessage(id, data, isBinary) {
    const socket = this.#connections.get(id);
    if (!socket) return;
    if (isBinary) {
      const type = socket.binaryType;
      if (type !== 'nodebuffer') data = asBinaryType(data, type);
    }
    this.#handlers.message?.(socket, data, isBinary);
    socket.emit('message', data, isBinary);
  }

  #onError(id, what) {
    const socket = this.#connections.get(id);
    if (!socket) return;
    const error = new HyphaeError(ErrorCodes.PROTOCOL, what);
    this.#handlers.error?.(socket, error);
    // Unlike a bare EventEmitter, an unheard protocol error is not fatal:
    // the connection is closed with the matching code either way.
    if (socket.listenerCount('error') > 0) socket.emit('error', error);
  }

  #onClose(id, code, reason) {
    const socket = this.#connections.get(id);
    if (!socket) return;
    this.#connections.delete(id);
    this.#holdLoop();
    socket[kMarkClosed]();
    try {
      this.#handlers.close?.(socket, code, reason);
    } finally {
      socket.emit('close', code, reason);
    }
  }

  // A ping (already answered by the core) or a pong, with its payload.
  #onControl(id, kind, data) {
    const socket = this.#connections.get(id);
    if (!socket) return;
    this.#handlers[kind]?.(socket, data);
    socket.emit(kind, data);
  }

  #onDrain(id) {
    const socket = this.#connections.get(id);
    if (!socket) return;
    this.#handlers.drain?.(socket);
    socket.emit('drain');
  }

  #onServerClosed() {
    const closing = this.#closing;
    this.#pendingData.clear();
    this.#adoptions.clear();
    this.#native = null;
    this.#closing = null;
    this.#address = null;
    closing?.resolve();
    this.emit('close');
  }

  // A throwing application handler never stops delivery to other
  // connections: the error goes to the server's 'error' listeners, or, when
  // there are none, surfaces as an uncaught exception as in any EventEmitter.
  #handlerFailed(error) {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error);
      return;
    }
    queueMicrotask(() => {
      throw error;
    });
  }
}

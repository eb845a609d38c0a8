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
  #parts = null; // held parts of a message sent with fin: false
  #binaryType = 'nodebuffer';
  #paused = false;

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
   * How binary messages are handed to JS, as in ws and Bun: 'nodebuffer'
   * (a Buffer, the default), 'arraybuffer', 'uint8array' or 'fragments'
   * (an array holding one Buffer).
   */
  get binaryType() {
    return this.#binaryType;
  }

  set binaryType(type) {
    if (!BINARY_TYPES.includes(type)) {
      throw new HyphaeError(ErrorCodes.INVALID_OPTION, `binaryType must be one of ${BINARY_TYPES.join(', ')}; got ${String(type)}`);
    }
    this.#binaryType = type;
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
   * frames unless the second argument says otherwise: `isBinary` as in
   * uWebSockets.js, or ws's `{ binary, fin, compress }`. `fin: false` holds
   * the part until a later send ends the message (ws's fragments; the
   * client gets one message of the first part's type). A callback, as in
   * ws, is called on the next tick: with no argument once the core has
   * queued the message, with an Error (`code`) when it was not.
   * @returns {number} bytes queued on the wire, or 0 when nothing was
   *   queued (connection not open, backpressure limit, a held part)
   */
  send(data, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    } else if (callback !== undefined && typeof callback !== 'function') {
      throw new HyphaeError(ErrorCodes.INVALID_HANDLER, 'send callback must be a function');
    }
    let binary;
    let fin = true;
    if (options === undefined || options === null) {
      binary = typeof data !== 'string';
    } else if (typeof options === 'object') {
      binary = options.binary === undefined ? typeof data !== 'string' : Boolean(options.binary);
      fin = options.fin !== false;
    } else {
      binary = Boolean(options);
    }
    if (this.readyState !== ReadyState.OPEN) {
      assertSendable(data);
      this.#parts = null;
      if (callback) notSent(callback, ErrorCodes.CONNECTION_NOT_OPEN, `WebSocket is not open: readyState ${this.readyState}`);
      return 0;
    }
    if (!fin || this.#parts !== null) {
      const whole = this.#joinParts(data, binary, fin);
      if (whole === null) {
        if (callback) process.nextTick(callback);
        return 0;
      }
      ({ data, binary } = whole);
    }
    const queued = this.#native.send(this.id, data, binary);
    if (callback) {
      if (queued !== 0) process.nextTick(callback);
      else notSent(callback, ErrorCodes.SEND_DROPPED, 'The message was not queued: the connection is at maxBackpressure or has closed');
    }
    return queued;
  }

  // ws's `fin: false`: parts are held until the final one, then sent as one
  // message of the first part's type. null while the message is unfinished.
  #joinParts(data, binary, fin) {
    assertSendable(data);
    const part = typeof data === 'string' ? Buffer.from(data) : toBuffer(data);
    if (this.#parts === null) this.#parts = { binary, chunks: [] };
    this.#parts.chunks.push(part);
    if (!fin) return null;
    const { binary: first, chunks } = this.#parts;
    this.#parts = null;
    return { data: Buffer.concat(chunks), binary: first };
  }

  // Bun's names (its second argument is `compress`, which hyphae leaves to
  // perMessageDeflate's threshold).
  /** Sends a string (or UTF-8 bytes) as a text message. */
  sendText(data) {
    return this.send(data, false);
  }

  /** Sends binary data as a binary message. */
  sendBinary(data) {
    return this.send(data, true);
  }

  /**
   * Runs `callback` and returns its result, as Bun's and uWebSockets.js's
   * cork do. hyphae already sends everything one JS turn queues for a
   * connection in one write, so there is nothing more to gather.
   */
  cork(callback) {
    if (typeof callback !== 'function') throw new HyphaeError(ErrorCodes.INVALID_HANDLER, 'cork callback must be a function');
    return callback(this);
  }

  /** bufferedAmount, as Bun and uWebSockets.js name it. */
  getBufferedAmount() {
    return this.bufferedAmount;
  }

  /** The topics this connection is subscribed to (Bun's name for `topics`). */
  get subscriptions() {
    return this.topics;
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

  /**
   * Stops reading this connection, as ws's pause(): a message already on its
   * way may still arrive, then the socket is left unread and TCP pushes
   * back on the client. The heartbeat does not judge a paused connection.
   */
  pause() {
    // Closing, the peer's answer to the close must still be read.
    if (this.readyState !== ReadyState.OPEN || this.#paused) return;
    this.#paused = true;
    this.#native.setPaused(this.id, true);
  }

  /** Reads this connection again after pause(). */
  resume() {
    if (this.readyState === ReadyState.CLOSED || !this.#paused) return;
    this.#paused = false;
    this.#native.setPaused(this.id, false);
  }

  /** Whether pause() holds this connection's reading. */
  get isPaused() {
    return this.#paused;
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
    this.#parts = null;
    this.#mirror.removeAll(this, this.#topics);
  }
}

// ws and browsers also read the ready states off the instance (ws.OPEN).
for (const [name, value] of Object.entries(ReadyState)) {
  Object.defineProperty(ServerWebSocket.prototype, name, { value, enumerable: true });
}

const BINARY_TYPES = ['nodebuffer', 'arraybuffer', 'uint8array', 'fragments'];

/** The peer where ws code reads it: `req.socket.remoteAddress`. */
export function peerSocket(remoteAddress, remotePort) {
  return { remoteAddress, remotePort, remoteFamily: remoteAddress.includes(':') ? 'IPv6' : 'IPv4' };
}

/** A binary message as `binaryType` asks for it (from the Buffer the core made). */
export function asBinaryType(buffer, type) {
  switch (type) {
    case 'arraybuffer':
      // The core's Buffers own their whole ArrayBuffer: no copy then.
      return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength
        ? buffer.buffer
        : buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    case 'uint8array':
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    case 'fragments':
      return [buffer];
    default:
      return buffer;
  }
}

// A copy of a part held for later (the caller may reuse its buffer meanwhile).
function toBuffer(data) {
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data));
  return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function notSent(callback, code, message) {
  process.nextTick(callback, new HyphaeError(code, message));
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

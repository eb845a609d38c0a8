// WebSocketConnection: the connection object of the Mycelia websocket
// contract (seed 000), over one ServerWebSocket.
import { ErrorCodes, HyphaeError } from './errors.js';
import { ReadyState, isSendable } from './socket.js';

export class WebSocketConnection {
  /**
   * @param {import('./socket.js').ServerWebSocket} socket
   * @param {string} id
   */
  constructor(socket, id) {
    /** Unique string id. */
    this.id = id;
    /** The underlying ServerWebSocket. */
    this.socket = socket;
    /** What the upgrade request said; applications may add their own keys. */
    this.metadata = { remoteAddress: socket.remoteAddress, headers: socket.headers, url: socket.url };
    this.connectedAt = new Date();
    /** What connection.authenticate returned, once the connection authenticated. */
    this.auth = undefined;
    this.lastActivity = new Date(this.connectedAt.getTime());
  }

  get readyState() {
    return this.socket.readyState;
  }

  /** Bytes queued in the core for this connection and not yet written to the socket. */
  get bufferedAmount() {
    return this.socket.bufferedAmount;
  }

  /** Per-connection application data (same object as socket.data). */
  get data() {
    return this.socket.data;
  }

  set data(value) {
    this.socket.data = value;
  }

  /**
   * Sends a message: a string as is, binary data as a binary frame, anything
   * else as JSON text. Rejects on a closed connection.
   * @returns {Promise<number>} bytes queued
   */
  async send(data) {
    if (this.isClosed()) {
      throw new HyphaeError(ErrorCodes.CONNECTION_CLOSED, `Cannot send to closed connection ${this.id}`);
    }
    if (!this.isOpen()) {
      throw new HyphaeError(ErrorCodes.CONNECTION_NOT_OPEN, `Connection ${this.id} is not open`);
    }
    const queued = this.socket.send(encodeOutgoing(data));
    this.updateActivity();
    return queued;
  }

  /** Starts the closing handshake. Idempotent. */
  close(code = 1000, reason = '') {
    if (this.isClosed()) return;
    this.socket.close(code, reason);
  }

  ping(data) {
    return this.socket.ping(data);
  }

  /** @returns {boolean} true when newly subscribed (false when closed or already) */
  subscribe(topic) {
    return this.socket.subscribe(topic);
  }

  /** @returns {boolean} true when it was subscribed */
  unsubscribe(topic) {
    return this.socket.unsubscribe(topic);
  }

  isSubscribed(topic) {
    return this.socket.isSubscribed(topic);
  }

  getTopics() {
    return this.socket.topics;
  }

  /**
   * Publishes to the topic's subscribers, this connection excluded unless
   * `publishToSelf`. Strings go as is, binary as binary, anything else as JSON.
   * @returns {number} frame bytes, or 0 when nobody received it
   */
  publish(topic, message, { publishToSelf = false } = {}) {
    const payload = encodeOutgoing(message);
    if (publishToSelf) return this.socket.server.publish(topic, payload);
    return this.socket.publish(topic, payload);
  }

  isOpen() {
    return this.socket.readyState === ReadyState.OPEN;
  }

  /** True from the moment close() was called or the peer closed. */
  isClosed() {
    return this.socket.readyState === ReadyState.CLOSING || this.socket.readyState === ReadyState.CLOSED;
  }

  updateActivity() {
    this.lastActivity = new Date();
  }

  getAge() {
    return Date.now() - this.connectedAt.getTime();
  }

  getTimeSinceLastActivity() {
    return Date.now() - this.lastActivity.getTime();
  }
}

/** A string goes as is, binary data as binary, anything else as JSON text. */
export function encodeOutgoing(data) {
  if (isSendable(data)) return data;
  const text = JSON.stringify(data);
  if (text === undefined) {
    throw new HyphaeError(ErrorCodes.INVALID_DATA, `Cannot send ${typeof data} as a message`);
  }
  return text;
}

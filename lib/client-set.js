// WebSocketServer#clients: the open connections as ws users iterate them (a
// Set of sockets), read-only and live, over the server's id -> socket map,
// with get(id) for hyphae's ids.
export class ClientSet {
  #byId;

  /** @param {Map<number, import('./socket.js').ServerWebSocket>} byId */
  constructor(byId) {
    this.#byId = byId;
  }

  get size() {
    return this.#byId.size;
  }

  /** The connection with this id, if open. */
  get(id) {
    return this.#byId.get(id);
  }

  /** A socket of this server that is open, or the id of one. */
  has(socketOrId) {
    if (typeof socketOrId === 'number') return this.#byId.has(socketOrId);
    return socketOrId != null && this.#byId.get(socketOrId.id) === socketOrId;
  }

  /** callback(socket, socket, set), as Set#forEach calls it. */
  forEach(callback, thisArg) {
    for (const socket of this.#byId.values()) callback.call(thisArg, socket, socket, this);
  }

  values() {
    return this.#byId.values();
  }

  keys() {
    return this.#byId.values();
  }

  *entries() {
    for (const socket of this.#byId.values()) yield [socket, socket];
  }

  [Symbol.iterator]() {
    return this.#byId.values();
  }

  get [Symbol.toStringTag]() {
    return 'ClientSet';
  }
}

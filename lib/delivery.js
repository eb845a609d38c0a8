// Seed 004's reliable delivery: a message for a recipient (a session or a
// user, named by a key) is kept until a connection of that recipient
// confirms it (`websocket://ack`), across reconnections. It is sent on
// every open connection of the key and again on each new one. It fails
// when it outlives `expiry`, or when more than `retries` connections
// carrying it closed without confirming it.
import { randomUUID } from 'node:crypto';
import { ErrorCodes, HyphaeError, invalidOption, unknownOption } from './errors.js';
import { priorityRank } from './priorities.js';

export class DeliveryOutbox {
  #settings;
  #onError;
  /** key → { items: Delivery[] (in send order), connections: Set } */
  #recipients = new Map();
  /** delivery id → Delivery */
  #byId = new Map();
  /** connection → its key, while it is ready */
  #keyOf = new Map();

  /**
   * @param {{ keyOf: Function, expiry: number, retries: number, queueSize: number }} settings
   * @param {(error: unknown, connection: object) => void} onError reports a throwing keyOf
   */
  constructor(settings, onError) {
    this.#settings = settings;
    this.#onError = onError;
  }

  /**
   * Queues `payload` for `key` and sends it on the key's open connections.
   * Resolves with `{ id, attempts }` once a connection confirmed it.
   */
  deliver(key, payload, options = {}) {
    if (typeof key !== 'string' || key === '') {
      return Promise.reject(invalidOption('key', 'a non-empty string', key));
    }
    let item;
    try {
      item = this.#createItem(key, payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    // Seed 004's debouncing of high-frequency updates: a newer update with
    // the same `coalesce` tag replaces the one still waiting.
    if (item.coalesce !== null) {
      const waiting = this.#recipients.get(key)?.items ?? [];
      for (const older of waiting.filter((other) => other.coalesce === item.coalesce)) {
        this.#finish(older, null, item.id);
      }
    }
    if ((this.#recipients.get(key)?.items.length ?? 0) >= this.#settings.queueSize) {
      return Promise.reject(
        new HyphaeError(
          ErrorCodes.DELIVERY_QUEUE_FULL,
          `${this.#settings.queueSize} deliveries for ${key} are already waiting for confirmation`,
        ),
      );
    }
    const recipient = this.#recipient(key);
    const promise = new Promise((resolve, reject) => Object.assign(item, { resolve, reject }));
    item.timer = setTimeout(() => {
      this.#finish(item, new HyphaeError(ErrorCodes.DELIVERY_EXPIRED, `Delivery ${item.id} to ${key} expired unconfirmed`));
    }, item.expiry);
    item.timer.unref?.();
    this.#byId.set(item.id, item);
    insertByPriority(recipient.items, item);
    for (const connection of recipient.connections) this.#sendOn(connection, item);
    return promise;
  }

  /** A connection is open (and authenticated): it gets what waits for its key. */
  connectionReady(connection) {
    let key;
    try {
      key = this.#settings.keyOf(connection);
    } catch (error) {
      this.#onError(error, connection);
      return;
    }
    if (key === null || key === undefined) return;
    key = String(key);
    this.#keyOf.set(connection, key);
    const recipient = this.#recipient(key);
    recipient.connections.add(connection);
    for (const item of recipient.items) this.#sendOn(connection, item);
  }

  /** A connection closed: what it carried unconfirmed counts a lost try. */
  connectionClosed(connection) {
    const key = this.#keyOf.get(connection);
    if (key === undefined) return;
    this.#keyOf.delete(connection);
    const recipient = this.#recipients.get(key);
    recipient.connections.delete(connection);
    for (const item of [...recipient.items]) {
      if (!item.carriers.delete(connection)) continue;
      item.lost += 1;
      if (item.lost > item.retries) {
        this.#finish(
          item,
          new HyphaeError(
            ErrorCodes.DELIVERY_FAILED,
            `Delivery ${item.id} to ${key}: ${item.lost} connection(s) closed without confirming it`,
          ),
        );
      }
    }
    this.#dropIfIdle(key);
  }

  /** `websocket://ack` from a connection; true when it confirmed a delivery of its key. */
  acknowledge(connection, id) {
    const item = this.#byId.get(id);
    if (!item || item.key !== this.#keyOf.get(connection)) return false;
    this.#finish(item, null);
    return true;
  }

  /** Deliveries waiting for confirmation, for one key or all. */
  pending(key) {
    if (key === undefined) return this.#byId.size;
    return this.#recipients.get(key)?.items.length ?? 0;
  }

  /** Rejects everything that waits (the facet is disposed). */
  cancelAll(reason) {
    for (const item of [...this.#byId.values()]) {
      this.#finish(item, new HyphaeError(ErrorCodes.DELIVERY_CANCELLED, `Delivery ${item.id} cancelled: ${reason}`));
    }
  }

  #createItem(key, payload, options) {
    if (options === null || typeof options !== 'object') throw invalidOption('delivery options', 'an object', options);
    const known = ['type', 'priority', 'expiry', 'retries', 'coalesce'];
    for (const name of Object.keys(options)) if (!known.includes(name)) throw unknownOption(name, known);
    const { type = 'message', priority = 'normal', expiry = this.#settings.expiry, retries = this.#settings.retries } = options;
    if (typeof type !== 'string' || type === '') throw invalidOption('type', 'a non-empty string', type);
    const rank = priorityRank(priority);
    if (!Number.isInteger(expiry) || expiry <= 0 || expiry > 2 ** 31 - 1) {
      throw invalidOption('expiry', 'an integer of milliseconds from 1 to 2^31-1', expiry);
    }
    if (!Number.isInteger(retries) || retries < 0) throw invalidOption('retries', 'an integer >= 0', retries);
    const { coalesce = null } = options;
    if (coalesce !== null && (typeof coalesce !== 'string' || coalesce === '')) {
      throw invalidOption('coalesce', 'a non-empty string', coalesce);
    }
    const id = randomUUID();
    // Seed 004's message shape, plus the flag that asks for confirmation.
    const message = { id, type, timestamp: new Date().toISOString(), priority, payload, requiresAck: true };
    let text;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      throw new HyphaeError(ErrorCodes.INVALID_DATA, `The payload cannot be sent as JSON: ${error.message}`, {
        cause: error,
      });
    }
    return {
      id,
      key,
      text,
      rank,
      coalesce,
      expiry,
      retries,
      lost: 0,
      attempts: 0,
      carriers: new Set(),
      timer: null,
      resolve: null,
      reject: null,
    };
  }

  #sendOn(connection, item) {
    if (item.carriers.has(connection) || !connection.isOpen()) return;
    item.carriers.add(connection);
    item.attempts += 1;
    connection.socket.send(item.text);
  }

  /** Settles a delivery: rejected with `error`, else confirmed, or replaced by `supersededBy`. */
  #finish(item, error, supersededBy = null) {
    if (this.#byId.get(item.id) !== item) return;
    this.#byId.delete(item.id);
    clearTimeout(item.timer);
    const recipient = this.#recipients.get(item.key);
    recipient.items.splice(recipient.items.indexOf(item), 1);
    this.#dropIfIdle(item.key);
    if (error) item.reject(error);
    else if (supersededBy) item.resolve({ id: item.id, attempts: item.attempts, supersededBy });
    else item.resolve({ id: item.id, attempts: item.attempts });
  }

  #recipient(key) {
    let recipient = this.#recipients.get(key);
    if (!recipient) this.#recipients.set(key, (recipient = { items: [], connections: new Set() }));
    return recipient;
  }

  #dropIfIdle(key) {
    const recipient = this.#recipients.get(key);
    if (recipient && recipient.items.length === 0 && recipient.connections.size === 0) this.#recipients.delete(key);
  }
}

/** Keeps `items` ordered by priority, then by when each was made. */
function insertByPriority(items, item) {
  let index = items.length;
  while (index > 0 && items[index - 1].rank > item.rank) index -= 1;
  items.splice(index, 0, item);
}

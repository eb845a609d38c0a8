// A small listener registry for the client. The client must run in
// browsers too, so it does not use node:events.

export class Listeners {
  #byEvent = new Map();

  /** Adds a listener; returns a function that removes it. */
  on(event, listener) {
    if (typeof listener !== 'function') throw new TypeError(`The "${event}" listener must be a function`);
    let set = this.#byEvent.get(event);
    if (!set) this.#byEvent.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  off(event, listener) {
    this.#byEvent.get(event)?.delete(listener);
  }

  /**
   * Calls every listener of `event`. A listener that throws does not stop
   * the others: its error is handed to `onThrow`.
   */
  emit(event, args, onThrow) {
    const set = this.#byEvent.get(event);
    if (!set) return false;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        onThrow(error);
      }
    }
    return set.size > 0;
  }

  count(event) {
    return this.#byEvent.get(event)?.size ?? 0;
  }
}

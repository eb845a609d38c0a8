// Seed 002's "replay missed messages": the last `size` topic events
// published through the facet, per topic, so that a client that comes back
// with the id of the last event it saw (`websocket://subscribe` with
// `since`) receives what it missed before anything new.

export class TopicHistory {
  #size;
  /** topic → [{ id, frame }], oldest first, at most #size */
  #byTopic = new Map();

  constructor(size) {
    this.#size = size;
  }

  get enabled() {
    return this.#size > 0;
  }

  /** Keeps `frame` (what was published) when the message is an event with an id. */
  record(topic, message, frame) {
    if (this.#size === 0 || message === null || typeof message !== 'object') return;
    if (typeof message.id !== 'string' || message.id === '') return;
    let events = this.#byTopic.get(topic);
    if (!events) this.#byTopic.set(topic, (events = []));
    events.push({ id: message.id, frame });
    if (events.length > this.#size) events.shift();
  }

  /**
   * What came after the event `since`: `complete` is false when `since` is
   * no longer (or never was) in the history, so events may have been lost.
   */
  after(topic, since) {
    const events = this.#byTopic.get(topic) ?? [];
    const index = events.findIndex((event) => event.id === since);
    if (index === -1) return { frames: events.map((event) => event.frame), complete: false };
    return { frames: events.slice(index + 1).map((event) => event.frame), complete: true };
  }
}

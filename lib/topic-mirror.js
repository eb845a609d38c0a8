// The JS thread's view of topic subscriptions. The core's per-thread tables
// do the fan-out; this mirror answers isSubscribed/topics/subscriberCount at
// once and exactly (the core applies changes on its io threads a moment later).

export class TopicMirror {
  /** @type {Map<string, Set<object>>} topic -> sockets */
  #members = new Map();
  #subscriptions = 0;

  /** @returns {boolean} true when newly subscribed */
  add(socket, topics, topic) {
    if (topics.has(topic)) return false;
    topics.add(topic);
    let members = this.#members.get(topic);
    if (!members) this.#members.set(topic, (members = new Set()));
    members.add(socket);
    this.#subscriptions++;
    return true;
  }

  /** @returns {boolean} true when it was subscribed */
  remove(socket, topics, topic) {
    if (!topics.delete(topic)) return false;
    const members = this.#members.get(topic);
    members.delete(socket);
    if (members.size === 0) this.#members.delete(topic); // empty topics are freed
    this.#subscriptions--;
    return true;
  }

  removeAll(socket, topics) {
    for (const topic of [...topics]) this.remove(socket, topics, topic);
  }

  count(topic) {
    return this.#members.get(topic)?.size ?? 0;
  }

  members(topic) {
    return this.#members.get(topic) ?? new Set();
  }

  names() {
    return [...this.#members.keys()];
  }

  get topicCount() {
    return this.#members.size;
  }

  get subscriptionCount() {
    return this.#subscriptions;
  }
}

// Shared by the fan-out servers (Node and Bun): the trigger protocol and the
// paced publish loop, so every contender publishes the same way.
//   "publish <messages> <size> <subscribers> [rate]" from /trigger: once
//   <subscribers> are in, publish <messages> payloads of <size> bytes, each
//   starting with the wall-clock send time in µs as 16 hex digits. Without a
//   rate (or 0): 10 per event-loop turn, as fast as the server goes. With a
//   rate: that many per second, paced by a 1 ms timer.

// Wall-clock microseconds as 16 hex digits (the generator reads its wall
// clock), of `at` (a performance.now() time) or of now.
export function stamp(at = performance.now()) {
  return Math.round((performance.timeOrigin + at) * 1000).toString(16).padStart(16, '0');
}

/**
 * @param {string} command the trigger's text
 * @param {() => number} subscribers how many are subscribed now
 * @param {(text: string) => void} publish sends one message to every subscriber
 */
export function runTrigger(command, subscribers, publish) {
  const [verb, messages, size, wanted, rate = '0'] = command.split(' ');
  if (verb !== 'publish') return;
  const pad = 'x'.repeat(Math.max(0, Number(size) - 16));
  const total = Number(messages);
  const perSecond = Number(rate);
  let sent = 0;
  const tick = () => {
    for (let i = 0; i < 10 && sent < total; i++, sent++) publish(stamp() + pad);
    if (sent < total) setImmediate(tick);
  };
  let started = 0;
  const paced = () => {
    // Everything due by now (a late timer catches up), never ahead of time.
    // Each message carries the time it was due, not the time it went out,
    // so a server that falls behind shows it in the latency.
    const due = Math.min(total, Math.floor(((performance.now() - started) * perSecond) / 1000) + 1);
    for (; sent < due; sent++) publish(stamp(started + (sent * 1000) / perSecond) + pad);
    if (sent < total) setTimeout(paced, 1);
  };
  const begin = () => {
    if (perSecond <= 0) return tick();
    started = performance.now();
    paced();
  };
  const waitForSubscribers = () => (subscribers() < Number(wanted) ? setImmediate(waitForSubscribers) : begin());
  waitForSubscribers();
}

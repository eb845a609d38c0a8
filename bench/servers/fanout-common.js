// Shared by the fan-out servers (Node and Bun): the trigger protocol and the
// paced publish loop, so every contender publishes the same way.
//   "publish <messages> <size> <subscribers>" from /trigger: once <subscribers>
//   are in, publish <messages> payloads of <size> bytes, 10 per event-loop
//   turn, each starting with the wall-clock send time in µs as 16 hex digits.

// Wall-clock microseconds as 16 hex digits (the generator reads its wall clock).
export function stamp() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000).toString(16).padStart(16, '0');
}

/**
 * @param {string} command the trigger's text
 * @param {() => number} subscribers how many are subscribed now
 * @param {(text: string) => void} publish sends one message to every subscriber
 */
export function runTrigger(command, subscribers, publish) {
  const [verb, messages, size, wanted] = command.split(' ');
  if (verb !== 'publish') return;
  const pad = 'x'.repeat(Math.max(0, Number(size) - 16));
  let sent = 0;
  const tick = () => {
    for (let i = 0; i < 10 && sent < Number(messages); i++, sent++) publish(stamp() + pad);
    if (sent < Number(messages)) setImmediate(tick);
  };
  const waitForSubscribers = () => (subscribers() < Number(wanted) ? setImmediate(waitForSubscribers) : tick());
  waitForSubscribers();
}

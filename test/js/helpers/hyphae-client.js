// Helpers for tests that drive hyphae/client: await its events.

/** Resolves with the arguments of the client's next `event` that `accept` takes. */
export function nextEvent(client, event, accept = () => true) {
  return new Promise((resolve) => {
    const off = client.on(event, (...args) => {
      if (!accept(...args)) return;
      off();
      resolve(args);
    });
  });
}

/** Resolves with the client's next `count` messages (its 'message' events). */
export function nextMessages(client, count) {
  const received = [];
  return new Promise((resolve) => {
    const off = client.on('message', (message) => {
      received.push(message);
      if (received.length === count) {
        off();
        resolve(received);
      }
    });
  });
}

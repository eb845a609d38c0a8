// Helpers for facet tests: a started facet and a client that speaks the
// seed 001 envelope.
import { createWebSocketFacet } from '../../../lib/index.js';
import { connect } from './clients.js';

/** A facet started on 127.0.0.1, an ephemeral port and path /ws. */
export async function startFacet(config = {}) {
  const facet = createWebSocketFacet({
    ...config,
    websocket: { host: '127.0.0.1', port: 0, ...config.websocket },
  });
  await facet.start();
  return { facet, url: `ws://127.0.0.1:${facet.getPort()}/ws` };
}

/** Resolves with the server side of the facet's next connection. */
export function nextConnection(facet) {
  return new Promise((resolve) => {
    const off = facet.onConnection((connection) => {
      off();
      resolve(connection);
    });
  });
}

/** Resolves with [code, reason] when this server-side connection ends. */
export function disconnected(facet, connection) {
  return new Promise((resolve) => {
    const off = facet.onDisconnection((gone, code, reason) => {
      if (gone !== connection) return;
      off();
      resolve([code, reason]);
    });
  });
}

/** Connects and resolves with [client, its WebSocketConnection on the server]. */
export async function connectTo(facet, url, options) {
  const opened = nextConnection(facet);
  const client = await connect(url, options);
  return [client, await opened];
}

/** Parses every text message of a client as JSON, in order. */
export function jsonMessages(client) {
  const received = [];
  client.on('message', (data, isBinary) => {
    if (!isBinary) received.push(JSON.parse(data.toString()));
  });
  return received;
}

/** Sends an envelope (object or raw string) and resolves with the next reply. */
export function request(client, envelope) {
  return new Promise((resolve, reject) => {
    client.once('message', (data) => resolve(JSON.parse(data.toString())));
    client.once('error', reject);
    client.send(typeof envelope === 'string' ? envelope : JSON.stringify(envelope));
  });
}

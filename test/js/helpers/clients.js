// Helpers for tests that talk to a real hyphae server through real sockets.
import WebSocket from 'ws';
import { once } from 'node:events';
import { WebSocketServer } from '../../../lib/index.js';

/** An echo server on 127.0.0.1 and an ephemeral port. */
export async function startEchoServer(options = {}) {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    message: (ws, data, isBinary) => ws.send(data, isBinary),
    ...options,
  });
  const { port } = await server.listen();
  return { server, port, url: `ws://127.0.0.1:${port}` };
}

/** Opens a ws client and resolves once it is open. */
export async function connect(url, options) {
  const client = new WebSocket(url, options);
  await once(client, 'open');
  return client;
}

/** Resolves with [data, isBinary] of the client's next message. */
export function nextMessage(client) {
  return new Promise((resolve, reject) => {
    client.once('message', (data, isBinary) => resolve([data, isBinary]));
    client.once('error', reject);
  });
}

/** Resolves with [code, reason] when the client's connection closes. */
export function closed(client) {
  return new Promise((resolve) => {
    client.once('close', (code, reason) => resolve([code, reason.toString()]));
  });
}

/** Collects `count` messages from a client, in arrival order. */
export function collect(client, count) {
  return new Promise((resolve, reject) => {
    const received = [];
    const onMessage = (data, isBinary) => {
      received.push(isBinary ? data : data.toString());
      if (received.length === count) {
        client.off('message', onMessage);
        resolve(received);
      }
    };
    client.on('message', onMessage);
    client.once('error', reject);
    client.once('close', (code) => {
      if (received.length < count) reject(new Error(`closed with ${code} after ${received.length}/${count} messages`));
    });
  });
}

/** Resolves with [status, body] of an upgrade the server refused (rejects if it was accepted). */
export function refusedUpgrade(url, options) {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url, options);
    client.once('unexpected-response', (request, response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve([response.statusCode, body]));
    });
    client.once('open', () => reject(new Error('the upgrade was accepted')));
    client.once('error', () => {});
  });
}

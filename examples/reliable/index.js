// Seed 004's scenario end to end: a client starts a long operation, its
// connection is lost halfway, and every progress update still reaches it,
// once, after it reconnects by itself.
//   node examples/reliable/index.js
// Server and client run in this one process, on an ephemeral port; the
// program exits when the operation is done.
import { configFromEnv, createWebSocketFacet } from 'hyphae';
import { HyphaeClient } from 'hyphae/client';

const SESSIONS = { 'token-ada': { userId: 'ada', sessionId: 'session-ada' } };

const facet = createWebSocketFacet(
  configFromEnv(process.env, {
    websocket: { host: '127.0.0.1', port: 0, path: '/ws' },
    connection: { authenticate: (connection, message) => SESSIONS[message?.body?.token] ?? false },
  }),
);

// The operation reports to the session, not to a connection: the reports
// wait while the session has none.
facet.registerMessageHandler('job://start', (message, params, { connection }) => {
  const sessionId = connection.metadata.sessionId;
  const operationId = `op-${Date.now()}`;
  setImmediate(() => runOperation(sessionId, operationId, connection.id)); // after this reply is out
  return { operationId };
});

async function runOperation(sessionId, operationId, connectionId) {
  const confirmed = [];
  for (const progress of [25, 50, 75, 100]) {
    const type = progress === 100 ? 'operation_completed' : 'operation_progress';
    confirmed.push(facet.deliver(sessionId, { operationId, progress }, { type }));
    // Halfway, the connection is lost (here: the server restarts it).
    if (progress === 50) await facet.closeConnection(connectionId, 1012, 'Service restart');
  }
  const results = await Promise.all(confirmed);
  console.log(`server: all ${results.length} updates confirmed (sent ${results.map((r) => r.attempts).join(', ')} time(s))`);
}

await facet.start();
const client = new HyphaeClient({
  url: `ws://127.0.0.1:${facet.getPort()}/ws`,
  auth: { token: 'token-ada' },
  reconnect: { initialDelay: 50 },
});
client.on('reconnecting', ({ code, delay }) => console.log(`client: connection closed (${code}), back in ${delay} ms`));

const done = new Promise((resolve) => {
  client.on('message', (message) => {
    if (!message.requiresAck) return;
    console.log(`client: ${message.type} ${message.payload.progress}%`);
    if (message.type === 'operation_completed') resolve();
  });
});

await client.connect();
console.log(`client: authenticated as ${client.auth.userId}`);
const { operationId } = await client.request('job://start');
console.log(`client: started ${operationId}`);
await done;
await client.close();
await facet.stop();

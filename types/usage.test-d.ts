// Compiled (not run) by `npm run typecheck`: the typings must accept these
// uses and reject the ones marked @ts-expect-error.
import http from 'node:http';
import { CloseCodes, ErrorCodes, HyphaeError, WebSocketServer, type ServerWebSocket } from 'hyphae';

interface UserData {
  user: string;
}

const server = new WebSocketServer<UserData>({
  host: '127.0.0.1',
  port: 0,
  path: '/ws',
  open(ws) {
    ws.data = { user: ws.headers['x-user'] ?? 'anonymous' };
  },
  message(ws, data, isBinary) {
    const queued: number = ws.send(data, isBinary);
    if (queued === 0) ws.close(CloseCodes.GOING_AWAY, 'gone');
  },
  close(ws, code, reason) {
    const user: string = ws.data.user;
    void [user, code.toFixed(), reason.length];
  },
});

server.on('connection', (ws: ServerWebSocket<UserData>, request) => {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && typeof data === 'string') ws.send(data.toUpperCase());
  });
  void request.remoteAddress;
});

async function main(): Promise<void> {
  const { port, family } = await server.listen();
  void [port.toFixed(), family];
  server.send(1, new Uint8Array([1, 2]));
  // @ts-expect-error numbers are not sendable
  server.send(1, 42);
  // @ts-expect-error unknown option
  new WebSocketServer({ prot: 1 });
  await server.close({ timeout: 100 });
  const error = new HyphaeError(ErrorCodes.INVALID_DATA, 'x');
  void error.code;
}
void main;

// ws-style use: started by its port, ws's send options and callbacks, clients as a Set.
const wss = new WebSocketServer({ port: 0, maxPayload: 1024 }, () => void wss.address());
wss.on('connection', (ws, req) => {
  const ip: string = req.socket.remoteAddress;
  ws.binaryType = 'arraybuffer';
  ws.pause();
  if (ws.isPaused) ws.resume();
  // @ts-expect-error not a binary type
  ws.binaryType = 'blob';
  ws.send('hi', { binary: false, fin: false });
  ws.send('there', (error) => void error?.code);
  ws.send(Buffer.from(ip), { binary: true }, (error?: HyphaeError) => void error);
  for (const client of wss.clients) {
    if (client !== ws && client.readyState === client.OPEN) client.send('joined', { binary: false });
  }
  wss.clients.forEach((client) => void client.id);
  const same: ServerWebSocket | undefined = wss.clients.get(ws.id);
  void [same, wss.clients.has(ws), wss.clients.size];
});
wss.on('headers', (lines, req) => lines.push(`Set-Cookie: user=${req.query.get('user') ?? ''}`));
void wss.close((error) => void error?.message);

// ws's verifyClient (both forms) and Bun's socket names.
new WebSocketServer({ verifyClient: ({ origin, req }) => origin === 'https://app.example' && req.url.startsWith('/') });
new WebSocketServer({
  verifyClient: (info, cb) => cb(info.req.socket.remoteAddress === '127.0.0.1', 403, 'Forbidden'),
  open(ws) {
    const queued: number = ws.cork((socket) => socket.sendText('a') + socket.sendBinary(Buffer.from('b')));
    const topics: string[] = ws.subscriptions;
    void [queued, topics, ws.getBufferedAmount()];
  },
});

// The facet.
import { configFromEnv, createRestFallback, createWebSocketFacet, type ActionReply, type Reply, type WebSocketConnection } from 'hyphae';
import { useNativeWebSocket } from 'hyphae/mycelia';

const facet = createWebSocketFacet({
  websocket: { port: 0, host: '127.0.0.1', options: { maxPayload: 65536 } },
  routing: { defaultPath: 'chat://say', transformOutgoing: (reply: Reply | ActionReply) => ('success' in reply ? reply : { ...reply, seed: 2 }) },
  delivery: { keyOf: (connection) => String(connection.metadata.userId ?? ''), retries: 5 },
});
facet.registerMessageHandler('user://get/{id}', (message, params, { connectionId }) => ({ id: params.id, connectionId, body: message.body }));
facet.onDisconnection((connection: WebSocketConnection, code: number, reason: string) => void [connection.id, code, reason]);
void facet.broadcast({ hello: 1 }, (connection) => connection.metadata.url === '/ws');
const count: number = facet.getConnectionCount();
void [count, useNativeWebSocket];
// @ts-expect-error broadcast filters are functions or field objects
void facet.broadcast('x', 42);
void facet.broadcast('x', { roles: ['admin'] });
const health = facet.getHealth();
void [health.rooms, facet.getStats().dropped, facet.publish('room', { a: 1 })];
void facet.deliver('session-1', { progress: 50 }, { type: 'operation_progress', priority: 'high' }).then(({ attempts }) => attempts.toFixed());
const unconfirmed: number = facet.getPendingDeliveries('session-1');
void unconfirmed;
const restFallback = createRestFallback(facet, {
  authenticate: (request) => request.headers.authorization === 'Bearer t' && { userId: 'u' },
  authorize: (auth, action, { sessionId }) => action !== 'broadcast' && sessionId.length > 0,
});
http.createServer((request, response) => void restFallback(request, response));
const fromEnv = createWebSocketFacet(configFromEnv(process.env, { routing: { defaultPath: 'chat://say' } }));
void fromEnv.getPort();
// @ts-expect-error priorities are high, normal and low
void facet.deliver('session-1', 1, { priority: 'urgent' });

// Topics on the plain server.
const pubsub = new WebSocketServer({
  maxBackpressure: 1 << 20,
  open(ws) {
    ws.subscribe('news');
    const status: number = ws.publish('news', 'hello');
    void status;
  },
  drain(ws) {
    void ws.bufferedAmount;
  },
  pong(ws, data) {
    const bytes: Buffer = data;
    void [ws.id, bytes, ws.pong('beat')];
  },
});
pubsub.on('connection', (ws) => ws.on('ping', (data: Buffer) => void data.length));
void [pubsub.publish('news', Buffer.from('x')), pubsub.subscriberCount('news'), pubsub.stats().readsPaused];
import { createTopicEvent } from 'hyphae';
const event = createTopicEvent('orders', { id: 1 });
void event.payload.id;

// Deciding upgrades.
const guarded = new WebSocketServer<{ user: string }>({
  async upgrade(request) {
    if (!request.query.get('token')) return { status: 401, message: 'no token' };
    return { data: { user: request.headers['x-user'] ?? 'anon' }, headers: { 'x-a': '1' } };
  },
  open(ws) {
    const user: string = ws.data.user;
    void user;
  },
});
void guarded;

// wss, heartbeat and ws-style subprotocol choice.
const secure = new WebSocketServer({
  tls: { cert: Buffer.from('pem'), key: 'pem', ca: ['pem'], passphrase: 'x', requestCert: true },
  pingInterval: 25_000,
  pingTimeout: 5_000,
  async handleProtocols(protocols, request) {
    return protocols.has('v2') && request.path === '/ws' ? 'v2' : false;
  },
});
void [secure.stats().tlsHandshakesFailed, secure.stats().pingTimeouts, secure.stats().acceptErrors, ErrorCodes.TLS];
// @ts-expect-error a key is required
new WebSocketServer({ tls: { cert: 'pem' } });

// Sharing an HTTP server's port, as with ws's `server` / `noServer`.
const httpServer = http.createServer();
const attached = new WebSocketServer({ server: httpServer, path: '/live' });
const manual = new WebSocketServer<UserData>({ noServer: true });
httpServer.on('upgrade', (req, socket, head) => {
  if (attached.shouldHandle(req)) return;
  manual.handleUpgrade(req, socket, head, (ws, request) => void [ws.data.user, request.headers.host]);
});
void ErrorCodes.UNSUPPORTED_SOCKET;
// @ts-expect-error a port is not a server
new WebSocketServer({ server: 8080 });

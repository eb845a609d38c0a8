// Compiled (not run) by `npm run typecheck`: hyphae/client's typings.
import {
  ClientState,
  ErrorCodes,
  HyphaeClient,
  createTestClient,
  type TopicEvent,
  type WebSocketLike,
} from 'hyphae/client';

// Any WHATWG-shaped WebSocket class will do (ws's, a browser's, undici's).
declare class SomeWebSocket implements WebSocketLike {
  constructor(url: string, protocols?: string | string[]);
  binaryType: string;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
}

const client = new HyphaeClient({
  url: 'ws://127.0.0.1:8081/ws',
  WebSocket: SomeWebSocket,
  auth: async () => ({ token: 'secret' }),
  reconnect: { initialDelay: 250, maxAttempts: 10, shouldReconnect: (code) => code !== 4001 },
  timeout: 5000,
  retries: 1,
  rest: { url: 'http://127.0.0.1:8081/ws-api' },
  heartbeat: { interval: 30_000 },
});
client.on('heartbeat', ({ rtt }) => void rtt.toFixed());
const stop: () => void = client.on('reconnecting', ({ attempt, delay }) => void [attempt.toFixed(), delay.toFixed()]);
client.on('error', (error) => void error.message);
client.on('disconnected', (error) => {
  if (error.code === ErrorCodes.CLIENT_AUTH_FAILED) stop();
});

async function use(): Promise<void> {
  await client.connect();
  const user = await client.request<{ name: string }>('user://get/42', { fields: ['name'] }, { timeout: 1000, priority: 'high' });
  const name: string = user.name;
  const reply = await client.exchange({ path: 'user://get/42', correlationId: 7 });
  if (!reply.success) void reply.error?.code;
  await client.subscribe<{ n: number }>('news', (payload, event: TopicEvent<{ n: number }>) => {
    const n: number = payload.n;
    void [n, event.action, name];
  });
  if (client.state === ClientState.OPEN) client.send({ raw: true });
  await client.close(4000, 'bye');

  const tester = createTestClient();
  await tester.connect('ws://127.0.0.1:8081/ws');
  const response = await tester.send({ path: 'test://handler', body: { data: 'test' } });
  void [response.success, tester.messages.length];
  await tester.disconnect();
}
void use;

// @ts-expect-error priorities are high, normal and low
void client.request('a://b', null, { priority: 'urgent' });
// @ts-expect-error url is required
new HyphaeClient({});
// @ts-expect-error reconnect.jitter is a number
new HyphaeClient({ url: 'ws://x', reconnect: { jitter: 'lots' } });

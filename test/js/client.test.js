// hyphae/client against a real facet server over real sockets: requests and
// replies, topic events, authentication per connection, reconnection with
// backoff, the queue while disconnected, retries and giving up.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createTopicEvent, createWebSocketFacet } from '../../lib/index.js';
import { ClientState, HyphaeClient, createTestClient, reconnectDelay, RECONNECT_DEFAULTS } from '../../lib/client/index.js';
import { disconnected, nextConnection, startFacet } from './helpers/facet.js';
import { nextEvent as next } from './helpers/hyphae-client.js';
import { cleanupAfterEach } from './helpers/cleanup.js';
import { unusedPort } from './helpers/ports.js';

// Short, fixed delays: the tests await events, the delays only pace them.
const FAST = { initialDelay: 10, maxDelay: 40, jitter: 0 };

describe('hyphae/client', () => {
  const cleanup = cleanupAfterEach();

  async function facetWith(config = {}) {
    const fixture = await startFacet(config);
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    return fixture;
  }

  function clientFor(url, options = {}) {
    const client = new HyphaeClient({ url, reconnect: FAST, ...options });
    cleanup.push(() => client.close());
    return client;
  }

  it('request() resolves with the reply data; a failure reply rejects with the server code', async () => {
    const { facet, url } = await facetWith();
    facet.registerMessageHandler('math://add', (message) => message.body.a + message.body.b);
    facet.registerMessageHandler('math://refuse', () => ({ success: false, error: { code: 'NOPE', message: 'No.' } }));
    const client = clientFor(url);
    await client.connect();
    expect(client.state).toBe(ClientState.OPEN);
    const sums = await Promise.all([1, 2, 3].map((a) => client.request('math://add', { a, b: 10 })));
    expect(sums).toEqual([11, 12, 13]);
    await expect(client.request('math://refuse', {})).rejects.toMatchObject({
      code: 'ERR_HYPHAE_CLIENT_REQUEST_FAILED',
      replyCode: 'NOPE',
      message: 'No.',
    });
    await expect(client.request('no://such/route', {})).rejects.toMatchObject({ replyCode: 'ROUTE_NOT_FOUND' });
    expect(client.pendingRequests).toBe(0);
  });

  it("createTestClient follows seed 001's test utility: connect(url), send(envelope) → reply, disconnect()", async () => {
    const { facet, url } = await facetWith();
    facet.registerMessageHandler('test://handler', (message) => ({ echoed: message.body }));
    const connection = nextConnection(facet);
    const tester = createTestClient();
    await tester.connect(url);
    const server = await connection;
    const response = await tester.send({ path: 'test://handler', body: { data: 'test' } });
    expect(response).toMatchObject({ success: true, data: { echoed: { data: 'test' } }, error: null });
    expect(typeof response.correlationId).toBe('string');
    await facet.send(server.id, { type: 'notice', text: 'hello' });
    await next(tester.client, 'message');
    expect(tester.messages).toEqual([{ type: 'notice', text: 'hello' }]);
    const ended = disconnected(facet, server);
    await tester.disconnect();
    expect((await ended)[0]).toBe(1000);
    expect(tester.client.state).toBe(ClientState.CLOSED);
  });

  it('a request with no reply within its timeout rejects with ERR_HYPHAE_CLIENT_TIMEOUT; its late reply is dropped', async () => {
    const { facet, url } = await facetWith();
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    facet.registerMessageHandler('slow://late', () => gate.then(() => 'too late'));
    facet.registerMessageHandler('fast://now', () => 'now');
    const client = clientFor(url);
    await client.connect();
    const stray = [];
    client.on('message', (message) => stray.push(message));
    await expect(client.request('slow://late', null, { timeout: 30 })).rejects.toMatchObject({
      code: 'ERR_HYPHAE_CLIENT_TIMEOUT',
    });
    expect(client.pendingRequests).toBe(0);
    release();
    // Replies come in order on one connection: once this one is here, the
    // late one has arrived too.
    expect(await client.request('fast://now')).toBe('now');
    expect(stray).toEqual([]);
  });

  it('topic events reach the listener, and the subscription is restored after the connection is lost', async () => {
    const { facet, url } = await facetWith({ routing: { authorizeSubscribe: (conn, topic) => topic !== 'secret' } });
    const client = clientFor(url);
    const payloads = [];
    const connection = nextConnection(facet);
    await client.connect();
    const first = await connection;
    expect(await client.subscribe('news', (payload) => payloads.push(payload))).toMatchObject({
      topic: 'news',
      subscribed: true,
    });
    await expect(client.subscribe('secret')).rejects.toMatchObject({ replyCode: 'SUBSCRIBE_DENIED' });
    expect(client.topics).toEqual(['news']);

    let event = next(client, 'event');
    facet.publish('news', createTopicEvent('news', { n: 1 }));
    await event;

    // The server restarts this connection (1012): the client comes back and
    // subscribes again before anything else.
    const second = nextConnection(facet);
    const reopened = next(client, 'open');
    await facet.closeConnection(first.id, 1012, 'Service restart');
    const [{ reconnected }] = await reopened;
    expect(reconnected).toBe(true);
    await client.subscribe('news'); // resolves once the server confirmed it again
    expect((await second).isSubscribed('news')).toBe(true);
    event = next(client, 'event');
    facet.publish('news', createTopicEvent('news', { n: 2 }));
    await event;
    expect(payloads).toEqual([{ n: 1 }, { n: 2 }]);

    await client.unsubscribe('news');
    expect(client.topics).toEqual([]);
    expect(facet.subscriberCount('news')).toBe(0);
  });

  it('requests made while the server is down wait in the queue, beyond queueSize are refused, and go out by priority once it is back', async () => {
    const { facet, url } = await facetWith();
    const port = facet.getPort();
    const client = clientFor(url, { queueSize: 3 });
    await client.connect();
    const lost = next(client, 'reconnecting');
    await facet.stop({ timeout: 100 }); // 1001 to every client
    const [{ code }] = await lost;
    expect(code).toBe(1001);

    const queued = [
      client.request('math://double', 1, { priority: 'low' }),
      client.request('math://double', 2),
      client.request('math://double', 3, { priority: 'high' }),
    ];
    await expect(client.request('math://double', 4)).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_QUEUE_FULL' });
    await expect(client.request('math://double', 4, { priority: 'urgent' })).rejects.toMatchObject({
      code: 'ERR_HYPHAE_INVALID_OPTION',
    });
    expect(client.pendingRequests).toBe(3);

    const arrived = [];
    const again = createWebSocketFacet({ websocket: { host: '127.0.0.1', port } });
    again.registerMessageHandler('math://double', (message) => {
      arrived.push(message.body);
      return message.body * 2;
    });
    await again.start();
    cleanup.push(() => again.stop({ timeout: 100 }));
    expect(await Promise.all(queued)).toEqual([2, 4, 6]);
    expect(arrived).toEqual([3, 2, 1]);
    expect(client.state).toBe(ClientState.OPEN);
  });

  it('a request whose connection drops before the reply is sent again while it has retries, else rejected', async () => {
    const { facet, url } = await facetWith();
    let calls = 0;
    facet.registerMessageHandler('flaky://op', async (message, params, { connection }) => {
      calls += 1;
      if (calls === 1) {
        await facet.closeConnection(connection.id, 1012, 'Service restart');
        return new Promise(() => {}); // no reply on that connection
      }
      return `done on call ${calls}`;
    });
    const client = clientFor(url);
    await client.connect();
    expect(await client.request('flaky://op', null, { retries: 1 })).toBe('done on call 2');

    calls = 0;
    await client.connect();
    await expect(client.request('flaky://op', null)).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_DISCONNECTED' });
  });

  it('authenticates every connection before it is open; a refusal rejects connect() and ends the tries', async () => {
    const users = { 't-ada': 'ada' };
    const { facet, url } = await facetWith({
      connection: {
        authenticate: (connection, message) => {
          const userId = users[message?.body?.token];
          return userId ? { userId } : false;
        },
      },
    });
    facet.registerMessageHandler('who://am-i', (message, params, { connection }) => connection.auth.userId);
    let asked = 0;
    const client = clientFor(url, { auth: async () => ({ token: (asked += 1) > 0 && 't-ada' }) });
    const connection = nextConnection(facet);
    await client.connect();
    expect(client.auth).toEqual({ authenticated: true, userId: 'ada' });
    expect(await client.request('who://am-i')).toBe('ada');

    const reopened = next(client, 'open');
    await facet.closeConnection((await connection).id, 1012);
    await reopened;
    expect(asked).toBe(2);
    expect(await client.request('who://am-i')).toBe('ada');

    let connections = 0;
    facet.onConnection(() => (connections += 1));
    const refused = clientFor(url, { auth: { token: 'wrong' } });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_AUTH_FAILED' });
    expect(refused.state).toBe(ClientState.DISCONNECTED);
    expect(connections).toBe(1);
    await expect(refused.request('who://am-i')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_NOT_CONNECTED' });

    const broken = clientFor(url, {
      auth: () => {
        throw new Error('no token in storage');
      },
    });
    await expect(broken.connect()).rejects.toMatchObject({
      code: 'ERR_HYPHAE_CLIENT_AUTH_FAILED',
      message: expect.stringContaining('no token in storage'),
    });
    expect(broken.state).toBe(ClientState.DISCONNECTED);
  });

  it('gives up after maxAttempts when nothing listens, the delays growing by `factor`', async () => {
    const port = await unusedPort();
    const client = clientFor(`ws://127.0.0.1:${port}/ws`, {
      reconnect: { initialDelay: 5, factor: 2, jitter: 0, maxAttempts: 3 },
    });
    const delays = [];
    client.on('reconnecting', ({ delay }) => delays.push(delay));
    const gaveUp = next(client, 'disconnected');
    const waiting = expect(client.request('any://path', null)).rejects.toMatchObject({
      code: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED',
    });
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED' });
    await waiting;
    expect(delays).toEqual([5, 10, 20]);
    expect((await gaveUp)[0].message).toMatch(/after 4 attempt/);
  });

  it('a close the server means (1000) or a policy close (1008) does not bring the client back', async () => {
    const { facet, url } = await facetWith();
    for (const code of [1000, 1008]) {
      const client = clientFor(url);
      const connection = nextConnection(facet);
      await client.connect();
      const gone = next(client, 'disconnected');
      await facet.closeConnection((await connection).id, code, 'Bye');
      const [error] = await gone;
      expect(error).toMatchObject({ code: 'ERR_HYPHAE_CLIENT_DISCONNECTED' });
      expect(error.message).toContain(`code ${code}`);
      expect(client.state).toBe(ClientState.DISCONNECTED);
      await expect(client.request('any://path')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_NOT_CONNECTED' });
    }
  });

  it('close() rejects what waits with ERR_HYPHAE_CLIENT_CLOSED and the client stays closed', async () => {
    const { facet, url } = await facetWith();
    facet.registerMessageHandler('slow://never', () => new Promise(() => {}));
    const client = clientFor(url);
    const connection = nextConnection(facet);
    await client.connect();
    const server = await connection;
    const waiting = expect(client.request('slow://never')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CLOSED' });
    const ended = disconnected(facet, server);
    await client.close(4000, 'Done here');
    await waiting;
    expect(await ended).toEqual([4000, 'Done here']);
    expect(client.state).toBe(ClientState.CLOSED);
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CLOSED' });
    await expect(client.request('any://path')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CLOSED' });
    expect(() => client.close(1006)).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_CLOSE_CODE' }));
  });

  it('messages that are not replies go to "message": JSON parsed, other text as is, binary as an ArrayBuffer', async () => {
    const { facet, url } = await facetWith();
    const client = clientFor(url, { WebSocket });
    const connection = nextConnection(facet);
    await client.connect();
    const id = (await connection).id;
    const received = [];
    const all = new Promise((resolve) => {
      client.on('message', (message) => {
        received.push(message);
        if (received.length === 3) resolve();
      });
    });
    await facet.send(id, { hello: 'world' });
    await facet.send(id, 'plain text');
    await facet.send(id, Buffer.from([1, 2, 3]));
    await all;
    expect(received[0]).toEqual({ hello: 'world' });
    expect(received[1]).toBe('plain text');
    expect(received[2]).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(received[2])]).toEqual([1, 2, 3]);
  });

  it('bad options and bad requests are clear errors with stable codes', async () => {
    expect(() => new HyphaeClient({})).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION' }));
    expect(() => new HyphaeClient({ url: 'ws://x', retry: 1 })).toThrow(/Unknown option "retry"/);
    expect(() => new HyphaeClient({ url: 'ws://x', reconnect: { jitter: 2 } })).toThrow(/reconnect.jitter/);
    expect(() => new HyphaeClient({ url: 'ws://x', timeout: 0 })).toThrow(/"timeout"/);
    expect(() => new HyphaeClient({ url: 'ws://x', WebSocket: {} })).toThrow(/"WebSocket"/);

    const { url } = await facetWith();
    const client = clientFor(url);
    await client.connect();
    await expect(client.request('')).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_DATA' });
    await expect(client.request('a://b', { n: 1n })).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_DATA' });
    await expect(client.request('a://b', null, { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_OPTION' });
    await expect(client.subscribe('')).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_TOPIC' });
    const taken = client.exchange({ path: 'slow://x', correlationId: 'same' }, { timeout: 1000 });
    await expect(client.exchange({ path: 'slow://x', correlationId: 'same' })).rejects.toThrow(/already waiting/);
    expect((await taken).error.code).toBe('ROUTE_NOT_FOUND');
    const bad = new HyphaeClient({ url: 'not a url', reconnect: false });
    await expect(bad.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED' });
  });
});

describe('where hyphae/client runs', () => {
  it('uses globalThis.WebSocket when the runtime has one (browsers, Node >= 22)', async () => {
    const fixture = await startFacet();
    let made = 0;
    class Counted extends WebSocket {
      constructor(...args) {
        super(...args);
        made += 1;
      }
    }
    globalThis.WebSocket = Counted;
    const client = new HyphaeClient({ url: fixture.url });
    try {
      await client.connect();
    } finally {
      delete globalThis.WebSocket;
      await client.close();
      await fixture.facet.stop({ timeout: 100 });
    }
    expect(made).toBe(1);
  });

  it('imports nothing from Node and uses no Node globals, so a browser bundle can take it', () => {
    const root = fileURLToPath(new URL('../../lib/client/index.js', import.meta.url));
    const seen = new Set();
    const bare = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/\b(Buffer|process|require|__dirname)\b/);
      for (const [, specifier] of source.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
        else bare.add(specifier);
      }
    };
    visit(root);
    expect(seen.size).toBeGreaterThan(5);
    // Only the fallback for runtimes without a global WebSocket.
    expect([...bare]).toEqual(['ws']);
  });
});

describe('reconnectDelay', () => {
  const options = { ...RECONNECT_DEFAULTS, initialDelay: 100, maxDelay: 1000, factor: 2, jitter: 0.5 };

  it('doubles from initialDelay up to maxDelay without jitter (random = 0)', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => reconnectDelay(attempt, options, () => 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('takes off at most `jitter` of the delay', () => {
    expect(reconnectDelay(2, options, () => 0.999999)).toBe(200);
    expect(reconnectDelay(2, options, () => 0.5)).toBe(300);
    expect(reconnectDelay(10, { ...options, jitter: 1 }, () => 0.25)).toBe(750);
  });
});

describe('topic history: events missed while reconnecting are replayed', () => {
  const cleanup = cleanupAfterEach();

  it('a client that comes back gets what was published meanwhile, in order, once, before new events', async () => {
    const fixture = await startFacet({ routing: { authorizeSubscribe: () => true, topicHistory: 10 } });
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    const { facet, url } = fixture;
    const client = new HyphaeClient({ url, reconnect: { initialDelay: 20, jitter: 0 } });
    cleanup.push(() => client.close());
    const seen = [];
    const connection = nextConnection(facet);
    await client.connect();
    await client.subscribe('news', (payload) => seen.push(payload.n));
    let event = next(client, 'event');
    facet.publish('news', createTopicEvent('news', { n: 1 }));
    await event;

    // Published while the client is away: kept in the history.
    const away = next(client, 'reconnecting');
    await facet.closeConnection((await connection).id, 1012, 'Service restart');
    await away;
    facet.publish('news', createTopicEvent('news', { n: 2 }));
    facet.publish('news', createTopicEvent('news', { n: 3 }));
    await next(client, 'open');
    expect(await client.subscribe('news')).toMatchObject({ topic: 'news', subscribed: true });
    event = next(client, 'event', (e) => e.payload.n === 4);
    facet.publish('news', createTopicEvent('news', { n: 4 }));
    await event;
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('the reply says when the history no longer reaches back to `since`', async () => {
    const fixture = await startFacet({ routing: { authorizeSubscribe: () => true, topicHistory: 2 } });
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    for (const n of [1, 2, 3]) fixture.facet.publish('t', createTopicEvent('t', { n }, { id: `e${n}` }));
    const tester = createTestClient();
    await tester.connect(fixture.url);
    cleanup.push(() => tester.disconnect());
    const kept = await tester.send({ path: 'websocket://subscribe', body: { topic: 't', since: 'e2' } });
    expect(kept.data).toMatchObject({ subscribed: true, replayed: 1, complete: true });
    await tester.send({ path: 'websocket://unsubscribe', body: { topic: 't' } });
    const lost = await tester.send({ path: 'websocket://subscribe', body: { topic: 't', since: 'e1' } });
    expect(lost.data).toMatchObject({ replayed: 2, complete: false });
    expect(tester.messages.map((m) => m.payload.n)).toEqual([3, 2, 3]);
  });
});

describe('client heartbeat (seed 004)', () => {
  const cleanup = cleanupAfterEach();

  it('beats on an open connection, and gives up a connection that stops answering, then reconnects', async () => {
    const fixture = await startFacet();
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    const { facet, url } = fixture;
    const client = new HyphaeClient({
      url,
      // Generous against a loaded machine: a slow reply must not look dead.
      heartbeat: { interval: 50, timeout: 1000 },
      reconnect: { initialDelay: 10, jitter: 0 },
    });
    cleanup.push(() => client.close());
    const first = nextConnection(facet);
    await client.connect();
    const [{ rtt }] = await next(client, 'heartbeat');
    expect(rtt).toBeGreaterThanOrEqual(0);

    // The server stops reading this connection: no close ever comes, and
    // only the heartbeat can tell.
    const second = nextConnection(facet);
    const lost = next(client, 'close');
    const back = next(client, 'open');
    (await first).socket.pause();
    expect((await lost)[0]).toEqual({ code: 1006, reason: 'Heartbeat timeout', wasOpen: true });
    expect((await back)[0].reconnected).toBe(true);
    expect((await second).id).not.toBe((await first).id);
    await next(client, 'heartbeat'); // and beats again on the new connection
  });

  it("the facet answers websocket://heartbeat with its time; bad heartbeat options are refused", async () => {
    const fixture = await startFacet();
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    const tester = createTestClient();
    await tester.connect(fixture.url);
    cleanup.push(() => tester.disconnect());
    const before = Date.now();
    const reply = await tester.send({ path: 'websocket://heartbeat' });
    expect(reply.success).toBe(true);
    expect(reply.data.timestamp).toBeGreaterThanOrEqual(before);
    expect(() => new HyphaeClient({ url: 'ws://x', heartbeat: { interval: 0 } })).toThrow(/heartbeat.interval/);
    expect(() => new HyphaeClient({ url: 'ws://x', heartbeat: { every: 5 } })).toThrow(/heartbeat.every/);
  });
});

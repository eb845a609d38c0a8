// Seed 004's reliable delivery through real sockets: facet.deliver(key, ...)
// keeps a message until a connection of that key confirms it, across
// reconnections; hyphae/client confirms and drops repeats.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { once } from 'node:events';
import { WebSocketServer } from '../../../lib/index.js';
import { createFacetMembers } from '../../../lib/facet.js';
import { HyphaeClient } from '../../../lib/client/index.js';
import { nextConnection, startFacet } from '../helpers/facet.js';
import { nextMessages as messages } from '../helpers/hyphae-client.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';

const SESSIONS = { 't-ada': { userId: 'ada', sessionId: 's-ada' }, 't-bob': { userId: 'bob', sessionId: 's-bob' } };
const authenticate = (connection, message) => SESSIONS[message?.body?.token] ?? false;

/**
 * A plain ws client that authenticates and then never confirms anything.
 * `socket.nextMessage()` resolves with its next message, parsed; messages
 * are kept from the start, so none is missed between two awaits.
 */
async function silentClient(url, token) {
  const socket = new WebSocket(url);
  const inbox = [];
  let wake = () => {};
  socket.on('message', (data) => {
    inbox.push(JSON.parse(String(data)));
    wake();
  });
  socket.nextMessage = async () => {
    while (inbox.length === 0) await new Promise((resolve) => (wake = resolve));
    return inbox.shift();
  };
  await once(socket, 'open');
  socket.send(JSON.stringify({ path: 'websocket://authenticate', body: { token }, correlationId: 'auth' }));
  expect(await socket.nextMessage()).toMatchObject({ success: true, correlationId: 'auth' });
  return socket;
}

describe('reliable delivery (facet.deliver)', () => {
  const cleanup = cleanupAfterEach();

  async function facetWith(config = {}) {
    const fixture = await startFacet({ connection: { authenticate }, ...config });
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    return fixture;
  }

  function clientFor(url, token) {
    const client = new HyphaeClient({ url, auth: { token }, reconnect: { initialDelay: 10, jitter: 0 } });
    cleanup.push(() => client.close());
    return client;
  }

  it('reaches the connected session once, in seed 004 shape, and resolves when the client confirmed it', async () => {
    const { facet, url } = await facetWith();
    const client = clientFor(url, 't-ada');
    await client.connect();
    const arrived = messages(client, 1);
    const confirmed = await facet.deliver('s-ada', { operationId: 'op1', progress: 50 }, { type: 'operation_progress' });
    expect(confirmed).toEqual({ id: expect.any(String), attempts: 1 });
    const [message] = await arrived;
    expect(message).toMatchObject({
      id: confirmed.id,
      type: 'operation_progress',
      priority: 'normal',
      payload: { operationId: 'op1', progress: 50 },
      requiresAck: true,
    });
    expect(new Date(message.timestamp).toISOString()).toBe(message.timestamp);
    expect(facet.getPendingDeliveries()).toBe(0);
  });

  it('waits while the session has no connection and arrives when it connects, high priority first', async () => {
    const { facet, url } = await facetWith();
    const confirmations = [
      facet.deliver('s-bob', 'low', { priority: 'low' }),
      facet.deliver('s-bob', 'normal'),
      facet.deliver('s-bob', 'high', { priority: 'high' }),
    ];
    expect(facet.getPendingDeliveries('s-bob')).toBe(3);
    const client = clientFor(url, 't-bob');
    const arrived = messages(client, 3);
    await client.connect();
    expect((await arrived).map((message) => message.payload)).toEqual(['high', 'normal', 'low']);
    expect((await Promise.all(confirmations)).map((c) => c.attempts)).toEqual([1, 1, 1]);
    expect(facet.getPendingDeliveries('s-bob')).toBe(0);
  });

  it('is sent again on the next connection when one closed without confirming it; over `retries` it fails', async () => {
    const { facet, url } = await facetWith({ delivery: { retries: 1 } });
    const silent = await silentClient(url, 't-ada');
    const confirmed = facet.deliver('s-ada', { step: 1 });
    expect(await silent.nextMessage()).toMatchObject({ payload: { step: 1 }, requiresAck: true });
    silent.close();
    await once(silent, 'close');

    const client = clientFor(url, 't-ada');
    const arrived = messages(client, 1);
    await client.connect();
    expect((await arrived)[0].payload).toEqual({ step: 1 });
    expect((await confirmed).attempts).toBe(2);

    const failing = facet.deliver('s-bob', { step: 2 }, { retries: 0 });
    const other = await silentClient(url, 't-bob');
    expect(await other.nextMessage()).toMatchObject({ payload: { step: 2 } });
    other.close();
    await expect(failing).rejects.toMatchObject({ code: 'ERR_HYPHAE_DELIVERY_FAILED' });
  });

  it('goes to every connection of the key; another key cannot confirm it, the first confirmation settles it', async () => {
    const { facet, url } = await facetWith();
    const silent = await silentClient(url, 't-ada');
    const stranger = await silentClient(url, 't-bob');
    const confirmed = facet.deliver('s-ada', 'to every connection');
    const { id } = await silent.nextMessage();

    stranger.send(JSON.stringify({ path: 'websocket://ack', body: { id }, correlationId: 'steal' }));
    expect(await stranger.nextMessage()).toMatchObject({ success: true, data: { id, acknowledged: false } });
    expect(facet.getPendingDeliveries('s-ada')).toBe(1);
    stranger.send(JSON.stringify({ path: 'websocket://ack', body: {}, correlationId: 'bad' }));
    expect(await stranger.nextMessage()).toMatchObject({ error: { code: 'INVALID_MESSAGE' } });

    // A second connection of the session gets it too, and confirms it.
    const client = clientFor(url, 't-ada');
    const arrived = messages(client, 1);
    await client.connect();
    expect((await arrived)[0]).toMatchObject({ id, payload: 'to every connection' });
    expect(await confirmed).toEqual({ id, attempts: 2 });
    expect(facet.getPendingDeliveries()).toBe(0);
    silent.close();
    stranger.close();
  });

  it('coalesce: a newer update replaces the one still waiting, so a burst for an absent session keeps only the latest', async () => {
    const { facet, url } = await facetWith({ delivery: { queueSize: 2 } });
    const progress = [10, 20, 30, 40, 50].map((percent) =>
      facet.deliver('s-ada', { percent }, { type: 'operation_progress', coalesce: 'op-1' }),
    );
    const other = facet.deliver('s-ada', 'kept', { coalesce: 'op-2' });
    expect(facet.getPendingDeliveries('s-ada')).toBe(2); // within queueSize 2, after five updates
    const replaced = await Promise.all(progress.slice(0, 4));
    const ids = replaced.map((result) => result.id);
    expect(replaced.map((result) => result.supersededBy)).toEqual([ids[1], ids[2], ids[3], expect.any(String)]);

    const client = clientFor(url, 't-ada');
    const arrived = messages(client, 2);
    await client.connect();
    expect((await arrived).map((message) => message.payload)).toEqual([{ percent: 50 }, 'kept']);
    const last = await progress[4];
    expect(last).toEqual({ id: replaced[3].supersededBy, attempts: 1 });
    expect((await other).attempts).toBe(1);
    await expect(facet.deliver('s-ada', 1, { coalesce: '' })).rejects.toThrow(/"coalesce"/);
  });

  it('expires, refuses beyond queueSize, checks its options, and is cancelled when the facet is disposed', async () => {
    const { facet } = await facetWith({ delivery: { queueSize: 2 } });
    await expect(facet.deliver('nobody', 'x', { expiry: 20 })).rejects.toMatchObject({
      code: 'ERR_HYPHAE_DELIVERY_EXPIRED',
    });
    expect(facet.getPendingDeliveries()).toBe(0);

    // These two only fill the queue; they expire after the test.
    for (const payload of [1, 2]) facet.deliver('s-x', payload).catch(() => {});
    await expect(facet.deliver('s-x', 3)).rejects.toMatchObject({ code: 'ERR_HYPHAE_DELIVERY_QUEUE_FULL' });
    await expect(facet.deliver('', 1)).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_OPTION' });
    await expect(facet.deliver('k', 1, { priority: 'urgent' })).rejects.toThrow(/"priority"/);
    await expect(facet.deliver('k', 1, { ttl: 5 })).rejects.toThrow(/Unknown option "ttl"/);
    await expect(facet.deliver('k', { n: 1n })).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_DATA' });
    await expect(startFacet({ delivery: { retries: -1 } })).rejects.toThrow(/delivery.retries/);

    const { members, dispose } = createFacetMembers({ websocket: { host: '127.0.0.1', port: 0 } });
    await members.start();
    const cancelled = expect(members.deliver('k', 'never')).rejects.toMatchObject({
      code: 'ERR_HYPHAE_DELIVERY_CANCELLED',
    });
    await dispose();
    await cancelled;
  });
});

describe('hyphae/client and reliable delivery', () => {
  it('confirms every copy of a delivery but hands it out once', async () => {
    // A server that sends the same delivery twice, as the facet does after
    // a confirmation was lost with its connection, and counts the acks.
    const acks = [];
    let seenAll;
    const allAcked = new Promise((resolve) => (seenAll = resolve));
    const delivery = JSON.stringify({ id: 'd-1', type: 'notice', payload: 'once', requiresAck: true });
    const server = new WebSocketServer({
      host: '127.0.0.1',
      open(ws) {
        ws.send(delivery);
        ws.send(delivery);
        ws.send(JSON.stringify({ type: 'after' }));
      },
      message(ws, data) {
        const envelope = JSON.parse(data);
        acks.push(envelope.body.id);
        ws.send(JSON.stringify({ success: true, data: null, correlationId: envelope.correlationId, error: null }));
        if (acks.length === 2) seenAll();
      },
    });
    const { port } = await server.listen();
    const client = new HyphaeClient({ url: `ws://127.0.0.1:${port}`, reconnect: false });
    const arrived = messages(client, 2);
    await client.connect();
    expect((await arrived).map((message) => message.payload ?? message.type)).toEqual(['once', 'after']);
    await allAcked;
    expect(acks).toEqual(['d-1', 'd-1']);
    await client.close();
    await server.close();
  });
});

describe('options that pick who is who', () => {
  const cleanup = cleanupAfterEach();

  it("delivery.keyOf names the recipient; the client's protocols and authPath reach the server", async () => {
    const fixture = await startFacet({
      websocket: { options: { protocols: ['chat.v2'] } },
      connection: { authenticate: (connection, message) => message.path === 'auth://login' && { userId: 'ada' } },
      // The device named in the URL, not the session or user.
      delivery: { keyOf: (connection) => new URL(connection.metadata.url, 'ws://x').searchParams.get('device') },
    });
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    const { facet, url } = fixture;
    const client = new HyphaeClient({
      url: `${url}?device=tablet-7`,
      protocols: ['chat.v2'],
      auth: { token: 'any' },
      authPath: 'auth://login',
      reconnect: false,
    });
    cleanup.push(() => client.close());
    const opened = nextConnection(facet);
    await client.connect();
    expect(client.auth).toMatchObject({ authenticated: true, userId: 'ada' });
    expect((await opened).socket.protocol).toBe('chat.v2');
    const arrived = messages(client, 1);
    expect((await facet.deliver('tablet-7', 'for the device')).attempts).toBe(1);
    expect((await arrived)[0].payload).toBe('for the device');
    expect(facet.getPendingDeliveries('ada')).toBe(0);
  });
});

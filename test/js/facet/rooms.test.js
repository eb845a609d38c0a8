import { afterEach, describe, expect, it } from 'vitest';
import { createTopicEvent } from '../../../lib/index.js';
import { closed, nextMessage } from '../helpers/clients.js';
import { connectTo, jsonMessages, request, startFacet } from '../helpers/facet.js';

describe('facet rooms and topics', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.facet.stop();
  });

  async function members(n, config) {
    fixture = await startFacet(config);
    const pairs = [];
    for (let i = 0; i < n; i++) pairs.push(await connectTo(fixture.facet, fixture.url));
    return pairs;
  }

  it('connection.publish excludes the sender unless publishToSelf', async () => {
    const [[a, connA], [b, connB]] = await members(2);
    connA.subscribe('chat');
    connB.subscribe('chat');
    const aInbox = jsonMessages(a);
    const bGot = nextMessage(b);
    expect(connA.publish('chat', { text: 'hi' })).toBeGreaterThan(0);
    expect(JSON.parse((await bGot)[0])).toEqual({ text: 'hi' });
    const both = [nextMessage(a), nextMessage(b)];
    connA.publish('chat', { text: 'echo me too' }, { publishToSelf: true });
    for (const got of await Promise.all(both)) expect(JSON.parse(got[0])).toEqual({ text: 'echo me too' });
    expect(aInbox).toEqual([{ text: 'echo me too' }]); // never the first one
  });

  it('facet.publish, subscriberCount, getRooms, getRoomMembers and the seed 002 room vocabulary', async () => {
    const [[a, connA], [b, connB], [c, connC]] = await members(3);
    expect(fixture.facet.joinRoom(connA.id, 'lobby')).toBe(true);
    expect(fixture.facet.joinRoom(connB.id, 'lobby')).toBe(true);
    connC.subscribe('vip');
    expect(fixture.facet.subscriberCount('lobby')).toBe(2);
    expect(fixture.facet.getRooms().sort()).toEqual(['lobby', 'vip']);
    expect(fixture.facet.getRoomMembers('lobby').sort()).toEqual([connA.id, connB.id].sort());
    expect(connA.getTopics()).toEqual(['lobby']);
    const inboxes = [nextMessage(a), nextMessage(b)];
    const cInbox = jsonMessages(c);
    expect(fixture.facet.broadcastToRoom('lobby', 'welcome')).toBeGreaterThan(0);
    for (const got of await Promise.all(inboxes)) expect(String(got[0])).toBe('welcome');
    expect(fixture.facet.publish('empty-room', 'x')).toBe(0);
    expect(fixture.facet.leaveRoom(connB.id, 'lobby')).toBe(true);
    expect(fixture.facet.subscriberCount('lobby')).toBe(1);
    expect(() => fixture.facet.joinRoom('ghost', 'lobby')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_CONNECTION_NOT_FOUND' }));
    const cDone = closed(c);
    connC.close();
    await cDone;
    await expect.poll(() => fixture.facet.getRooms()).toEqual(['lobby']);
    expect(cInbox).toEqual([]);
  });

  it('client subscriptions go through authorizeSubscribe: allow, deny, async; unsubscribe is free', async () => {
    const asked = [];
    const [[client, connection]] = await members(1, {
      routing: {
        authorizeSubscribe: async (conn, topic) => {
          asked.push([conn.id, topic]);
          await new Promise((resolve) => setImmediate(resolve));
          return topic.startsWith('public:');
        },
      },
    });
    expect(await request(client, { path: 'websocket://subscribe', body: { topic: 'public:news' }, correlationId: '1' })).toMatchObject({
      success: true,
      correlationId: '1',
      data: { topic: 'public:news', subscribed: true },
    });
    expect(await request(client, { path: 'websocket://subscribe', body: { topic: 'private:admin' }, correlationId: '2' })).toMatchObject({
      success: false,
      correlationId: '2',
      error: { code: 'SUBSCRIBE_DENIED' },
    });
    expect(asked).toEqual([[connection.id, 'public:news'], [connection.id, 'private:admin']]);
    expect(connection.getTopics()).toEqual(['public:news']);
    expect(fixture.facet.subscriberCount('private:admin')).toBe(0);
    expect((await request(client, { path: 'websocket://subscribe', body: {} })).error.code).toBe('INVALID_TOPIC');
    expect((await request(client, { path: 'websocket://unsubscribe', body: { topic: 'public:news' } })).data).toEqual({
      topic: 'public:news',
      subscribed: false,
      changed: true,
    });
    expect(connection.getTopics()).toEqual([]);
  });

  it('without authorizeSubscribe, client subscriptions are refused', async () => {
    const [[client, connection]] = await members(1);
    const reply = await request(client, { path: 'websocket://subscribe', body: { topic: 'anything' } });
    expect(reply.error).toEqual({ code: 'SUBSCRIBE_DENIED', message: 'Client subscriptions are not enabled' });
    expect(connection.getTopics()).toEqual([]);
  });

  it('broadcast accepts a metadata filter object: equality and any-of', async () => {
    const pairs = await members(4);
    const profiles = [
      { userId: 'u1', roles: ['admin'] },
      { userId: 'u2', roles: ['user', 'ops'] },
      { userId: 'u1', roles: ['user'] },
      { userId: 'u3', roles: 'admin' },
    ];
    pairs.forEach(([, connection], i) => Object.assign(connection.metadata, profiles[i]));
    const inboxes = pairs.map(([client]) => jsonMessages(client));
    expect(await fixture.facet.broadcast({ to: 'u1' }, { userId: 'u1' })).toBe(2);
    expect(await fixture.facet.broadcast({ to: 'admins' }, { roles: ['admin', 'ops'] })).toBe(3);
    expect(await fixture.facet.broadcast({ to: 'u1 admins' }, { userId: 'u1', roles: ['admin'] })).toBe(1);
    // Per-connection data counts too.
    pairs[1][1].data = { team: 'blue' };
    expect(await fixture.facet.broadcast({ to: 'blue' }, { team: 'blue' })).toBe(1);
    await expect(fixture.facet.broadcast('x', 'not a filter')).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_FILTER' });
    await expect.poll(() => inboxes.map((inbox) => inbox.length)).toEqual([3, 2, 1, 1]);
    expect(inboxes.map((inbox) => inbox.map((m) => m.to))).toEqual([
      ['u1', 'admins', 'u1 admins'],
      ['admins', 'blue'],
      ['u1'],
      ['admins'],
    ]);
  });

  it('per-connection data set in onConnection is readable in the disconnect handler', async () => {
    fixture = await startFacet();
    fixture.facet.onConnection((connection) => (connection.data = { user: 'ada', joined: 1 }));
    const seen = [];
    fixture.facet.onDisconnection((connection) => seen.push(connection.data));
    const [client] = await connectTo(fixture.facet, fixture.url);
    client.close();
    await expect.poll(() => seen).toEqual([{ user: 'ada', joined: 1 }]);
  });

  it('createTopicEvent builds seed 002 events; getHealth and getStats report the state', async () => {
    const event = createTopicEvent('orders:created', { id: 7 }, { id: 'evt-1' });
    expect(event).toEqual({
      id: 'evt-1',
      type: 'event',
      action: 'orders:created',
      payload: { id: 7 },
      metadata: { timestamp: expect.any(Number), version: '1.0' },
    });
    expect(typeof createTopicEvent('t', null).id).toBe('string');

    const [[a, connA], [b, connB]] = await members(2);
    connA.subscribe('orders:created');
    connB.subscribe('orders:created');
    connB.subscribe('orders:shipped');
    const inboxes = [nextMessage(a), nextMessage(b)];
    fixture.facet.publish('orders:created', event);
    for (const inbox of inboxes) expect(JSON.parse((await inbox)[0])).toEqual(event);
    expect(fixture.facet.getHealth()).toEqual({
      healthy: true,
      connections: 2,
      rooms: 2,
      subscriptions: 3,
      uptime: expect.any(Number),
      timestamp: expect.any(Number),
    });
    await request(b, '{"path":"nowhere"}');
    const stats = fixture.facet.getStats();
    expect(stats).toMatchObject({ running: true, connectionsOpened: 2, publishes: 1, connections: 2, topics: 2, subscriptions: 3 });
    expect(stats.messagesIn).toBe(1);
    expect(stats.bytesIn).toBe('{"path":"nowhere"}'.length);
    // Two publishes delivered and one reply; a write is counted when it
    // completes, which may be just after the client has the bytes.
    await expect.poll(() => fixture.facet.getStats().messagesOut).toBe(3);
    await fixture.facet.stop();
    expect(fixture.facet.getHealth()).toMatchObject({ healthy: false, connections: 0 });
  });
});

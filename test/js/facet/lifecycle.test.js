import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketFacet, WebSocketConnection } from '../../../lib/index.js';
import { closed, connect, nextMessage, refusedUpgrade } from '../helpers/clients.js';
import { rawConnect } from '../helpers/raw-client.js';
import { connectTo, startFacet } from '../helpers/facet.js';

describe('facet lifecycle', () => {
  const started = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((facet) => facet.stop()));
  });
  async function start(config) {
    const fixture = await startFacet(config);
    started.push(fixture.facet);
    return fixture;
  }

  it('start/stop/isRunning/getPort/getAddress, port 0 and the callback', async () => {
    const facet = createWebSocketFacet({ websocket: { host: '127.0.0.1', port: 8080 } });
    started.push(facet);
    expect(facet.isRunning()).toBe(false);
    await facet.stop(); // no-op when not running
    let callbacks = 0;
    await facet.start({ port: 0, callback: () => callbacks++ });
    expect(callbacks).toBe(1);
    expect(facet.isRunning()).toBe(true);
    expect(facet._isRunning).toBe(true);
    expect(facet.getPort()).toBeGreaterThan(0);
    expect(facet.getPort()).not.toBe(8080);
    expect(facet.getAddress()).toBe('127.0.0.1');
    await expect(facet.start()).rejects.toMatchObject({
      code: 'ERR_HYPHAE_ALREADY_RUNNING',
      message: expect.stringContaining('already running'),
    });
    await facet.stop();
    expect(facet.isRunning()).toBe(false);
    expect(facet.getPort()).toBe(null);
    expect(facet.getAddress()).toBe(null);
    await facet.start({ port: 0 }); // and again
    expect(facet.isRunning()).toBe(true);
  });

  it('serves only the configured path (default /ws)', async () => {
    const { facet } = await start();
    await expect(connect(`ws://127.0.0.1:${facet.getPort()}/other`)).rejects.toThrow(/404/);
    const client = await connect(`ws://127.0.0.1:${facet.getPort()}/ws`);
    client.terminate();
  });

  it('stop() closes every connection with 1001 "Server shutting down"', async () => {
    const { facet, url } = await start();
    const disconnects = [];
    facet.onDisconnection((connection, code, reason) => disconnects.push([connection.id, code, reason]));
    const clients = await Promise.all([1, 2, 3].map(() => connect(url)));
    await expect.poll(() => facet.getConnectionCount()).toBe(3);
    const clientCloses = clients.map(closed);
    await facet.stop();
    for (const result of await Promise.all(clientCloses)) expect(result).toEqual([1001, 'Server shutting down']);
    expect(disconnects).toHaveLength(3);
    expect(disconnects.every(([, code, reason]) => code === 1001 && reason === 'Server shutting down')).toBe(true);
    expect(facet.getConnectionCount()).toBe(0);
  });

  it('calls onConnection / onDisconnection with the contract arguments', async () => {
    const { facet, url } = await start();
    const seen = [];
    facet.onConnection((connection) => seen.push(['connect', connection]));
    facet.onDisconnection((connection, code, reason) => seen.push(['disconnect', connection, code, reason]));
    const [client, connection] = await connectTo(facet, `${url}?room=2`, { headers: { 'X-Token': 't1' } });
    expect(connection).toBeInstanceOf(WebSocketConnection);
    expect(typeof connection.id).toBe('string');
    expect(connection.metadata).toEqual({
      remoteAddress: '127.0.0.1',
      headers: expect.objectContaining({ 'x-token': 't1' }),
      url: '/ws?room=2',
    });
    expect(connection.connectedAt).toBeInstanceOf(Date);
    expect(connection.lastActivity).toBeInstanceOf(Date);
    expect(facet.getConnection(connection.id)).toBe(connection);
    expect(facet.getAllConnections()).toEqual([connection]);
    expect(facet._connections.get(connection.id)).toBe(connection);
    client.close(4001, 'bye');
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[0]).toEqual(['connect', connection]);
    expect(seen[1]).toEqual(['disconnect', connection, 4001, 'bye']);
    expect(facet.getConnection(connection.id)).toBe(null);
    expect(connection.isClosed()).toBe(true);
  });

  it('connection.maxConnections: upgrades beyond it get HTTP 503', async () => {
    const { facet, url } = await start({ connection: { maxConnections: 2 } });
    const [first] = await connectTo(facet, url);
    const [second] = await connectTo(facet, url);
    expect(await refusedUpgrade(url)).toEqual([503, 'Server Full']);
    first.close();
    await expect.poll(() => facet.getConnectionCount()).toBe(1);
    const [third] = await connectTo(facet, url);
    expect(facet.getConnectionCount()).toBe(2);
    for (const client of [second, third]) client.terminate();
  });

  it('connection.pingInterval/pingTimeout: a peer that stops answering disconnects once; one that answers stays', async () => {
    const { facet, url } = await start({ connection: { pingInterval: 100, pingTimeout: 100 } });
    const disconnects = [];
    facet.onDisconnection((connection, code, reason) => disconnects.push([connection.id, code, reason]));
    const [healthy] = await connectTo(facet, url);
    const [silent, silentConnection] = await connectTo(facet, url, { autoPong: false });
    silent.on('error', () => {});
    await expect.poll(() => disconnects.length, { timeout: 5000 }).toBe(1);
    expect(disconnects[0]).toEqual([silentConnection.id, 1006, 'Ping timeout']);
    // The healthy peer goes on answering pings for three more rounds.
    let pings = 0;
    await new Promise((resolve) => healthy.on('ping', () => ++pings === 3 && resolve()));
    expect(disconnects).toHaveLength(1);
    expect(facet.getConnectionCount()).toBe(1);
    healthy.terminate();
  });

  it('reports protocol errors to onError with the connection', async () => {
    const { facet } = await start();
    const errors = [];
    facet.onError((connection, error) => errors.push([connection?.id, error.code]));
    const opened = new Promise((resolve) => facet.onConnection(resolve));
    const raw = await rawConnect(facet.getPort(), '/ws');
    const connection = await opened;
    raw.send(0x1, Buffer.from('unmasked'), { mask: false });
    await raw.ended;
    await expect.poll(() => errors).toEqual([[connection.id, 'ERR_HYPHAE_PROTOCOL']]);
  });

  it('refuses non-function handlers', () => {
    const facet = createWebSocketFacet();
    for (const method of ['onConnection', 'onDisconnection', 'onError']) {
      expect(() => facet[method]('nope')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_HANDLER' }));
    }
    expect(() => facet.registerMessageHandler('a://b', 42)).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_HANDLER' }),
    );
  });

  it('a throwing or rejecting handler is isolated: others run, onError hears it', async () => {
    const logged = [];
    const logger = { error: (...args) => logged.push(args[0]) };
    const { facet, url } = await start({ websocket: { logger } });
    const calls = [];
    const errors = [];
    facet.onConnection(() => {
      throw new Error('sync failure');
    });
    facet.onConnection(async () => {
      throw new Error('async failure');
    });
    facet.onConnection((connection) => calls.push(connection.id));
    facet.onError((connection, error) => errors.push(error.message));
    const [client, connection] = await connectTo(facet, url);
    expect(calls).toEqual([connection.id]);
    await expect.poll(() => errors.sort()).toEqual(['async failure', 'sync failure']);
    expect(logged).toHaveLength(2);
    // The server still works.
    client.send(JSON.stringify({ path: 'nowhere', correlationId: 'x' }));
    const [reply] = await nextMessage(client);
    expect(JSON.parse(reply.toString()).error.code).toBe('ROUTE_NOT_FOUND');
    client.terminate();
  });
});

describe('facet send, broadcast and close', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.facet.stop();
  });

  it('send(): strings as is, objects as JSON; unknown ids reject', async () => {
    fixture = await startFacet();
    const { facet, url } = fixture;
    const [client, connection] = await connectTo(facet, url);
    const first = nextMessage(client);
    await facet.send(connection.id, 'plain text');
    expect((await first)[0].toString()).toBe('plain text');
    const second = nextMessage(client);
    expect(await facet.send(connection.id, { hello: 'world' })).toBeGreaterThan(0);
    expect(JSON.parse((await second)[0].toString())).toEqual({ hello: 'world' });
    await expect(facet.send('missing', 'x')).rejects.toMatchObject({
      code: 'ERR_HYPHAE_CONNECTION_NOT_FOUND',
      message: 'Connection missing not found',
    });
    client.terminate();
  });

  it('connection.send() on a closed connection rejects with "closed connection"', async () => {
    fixture = await startFacet();
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    connection.close(1000, 'done');
    connection.close(); // idempotent
    await expect(connection.send('late')).rejects.toMatchObject({
      code: 'ERR_HYPHAE_CONNECTION_CLOSED',
      message: expect.stringContaining('closed connection'),
    });
    expect(await closed(client)).toEqual([1000, 'done']);
  });

  it('broadcast() reaches every open connection, or those the filter accepts', async () => {
    fixture = await startFacet();
    const { facet, url } = fixture;
    const pairs = [];
    for (let i = 0; i < 4; i++) pairs.push(await connectTo(facet, url));
    pairs.forEach(([, connection], i) => (connection.metadata.team = i % 2 ? 'odd' : 'even'));
    const inboxes = pairs.map(([client]) => nextMessage(client));
    expect(await facet.broadcast({ to: 'all' })).toBe(4);
    for (const inbox of inboxes) expect(JSON.parse((await inbox)[0].toString())).toEqual({ to: 'all' });

    const oddInboxes = pairs.filter((_, i) => i % 2).map(([client]) => nextMessage(client));
    const evenGot = [];
    pairs.filter((_, i) => i % 2 === 0).forEach(([client]) => client.once('message', (d) => evenGot.push(d)));
    expect(await facet.broadcast('odd only', (connection) => connection.metadata.team === 'odd')).toBe(2);
    for (const inbox of oddInboxes) expect((await inbox)[0].toString()).toBe('odd only');
    // A message sent after the filtered one proves the even clients got nothing before it.
    const evenNext = pairs.filter((_, i) => i % 2 === 0).map(([client]) => nextMessage(client));
    await facet.broadcast('everyone again');
    expect(evenGot).toEqual([]);
    for (const inbox of evenNext) expect((await inbox)[0].toString()).toBe('everyone again');
    for (const [client] of pairs) client.terminate();
  });

  it('closeConnection() passes code and reason; unknown ids reject', async () => {
    fixture = await startFacet();
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    const done = closed(client);
    await fixture.facet.closeConnection(connection.id, 4002, 'kicked');
    expect(await done).toEqual([4002, 'kicked']);
    await expect(fixture.facet.closeConnection('nobody')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CONNECTION_NOT_FOUND' });
  });

  it('routing.enableBroadcast / enableDirectSend = false refuse those operations', async () => {
    fixture = await startFacet({ routing: { enableBroadcast: false, enableDirectSend: false } });
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    await expect(fixture.facet.broadcast('x')).rejects.toMatchObject({ code: 'ERR_HYPHAE_BROADCAST_DISABLED' });
    await expect(fixture.facet.send(connection.id, 'x')).rejects.toMatchObject({ code: 'ERR_HYPHAE_DIRECT_SEND_DISABLED' });
    client.terminate();
  });

  it('uses connection.generateConnectionId', async () => {
    let n = 0;
    fixture = await startFacet({ connection: { generateConnectionId: () => `user-${++n}` } });
    const [a, first] = await connectTo(fixture.facet, fixture.url);
    const [b, second] = await connectTo(fixture.facet, fixture.url);
    expect([first.id, second.id]).toEqual(['user-1', 'user-2']);
    a.terminate();
    b.terminate();
  });

  it('WebSocketConnection helpers: activity, age, readyState, bufferedAmount, ping', async () => {
    fixture = await startFacet();
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    expect(connection.isOpen()).toBe(true);
    expect(connection.isClosed()).toBe(false);
    expect(connection.readyState).toBe(1);
    expect(connection.bufferedAmount).toBe(0);
    expect(connection.getAge()).toBeGreaterThanOrEqual(0);
    connection.lastActivity = new Date(0); // so any update is visible without waiting on the clock
    expect(connection.getTimeSinceLastActivity()).toBeGreaterThan(1e12);
    client.send('{"path":"x"}');
    await expect.poll(() => connection.lastActivity.getTime()).toBeGreaterThan(0);
    expect(connection.getTimeSinceLastActivity()).toBeGreaterThanOrEqual(0);
    const pinged = once(client, 'ping');
    expect(connection.ping()).toBe(true);
    await pinged;
    client.terminate();
  });
});

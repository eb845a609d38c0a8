import WebSocket from 'ws';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, nextMessage, refusedUpgrade, startEchoServer } from './helpers/clients.js';

describe('upgrade(request): the application decides', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 100 });
  });

  it('sees the request and accepts with per-connection data, response headers and a protocol', async () => {
    const seen = [];
    fixture = await startEchoServer({
      upgrade(request) {
        seen.push(request);
        return { data: { user: request.query.get('user') }, headers: { 'x-session': 's-1' }, protocol: 'v2' };
      },
    });
    const connection = once(fixture.server, 'connection');
    const client = new WebSocket(`${fixture.url}/chat?user=ada`, ['v1', 'v2'], { headers: { 'x-trace': 't' } });
    // ws emits 'open' in the same tick as 'upgrade': listen for both first.
    const upgraded = once(client, 'upgrade');
    const opened = once(client, 'open');
    const [response] = await upgraded;
    await opened;
    const [ws] = await connection;
    expect(response.headers['x-session']).toBe('s-1');
    expect(client.protocol).toBe('v2');
    expect(ws.protocol).toBe('v2');
    expect(ws.data).toEqual({ user: 'ada' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      url: '/chat?user=ada',
      path: '/chat',
      remoteAddress: '127.0.0.1',
      protocols: ['v1', 'v2'],
      headers: expect.objectContaining({ 'x-trace': 't' }),
    });
    client.terminate();
  });

  it('rejects with false (401), a status and message, or a throw (500); others still connect', async () => {
    const errors = [];
    fixture = await startEchoServer({
      upgrade(request) {
        const who = request.query.get('who');
        if (who === 'anonymous') return false;
        if (who === 'banned') return { status: 403, message: 'Banned' };
        if (who === 'buggy') throw new Error('auth backend exploded');
        return true;
      },
    });
    fixture.server.on('error', (error) => errors.push(error.message));
    expect(await refusedUpgrade(`${fixture.url}/?who=anonymous`)).toEqual([401, 'Unauthorized']);
    expect(await refusedUpgrade(`${fixture.url}/?who=banned`)).toEqual([403, 'Banned']);
    expect((await refusedUpgrade(`${fixture.url}/?who=buggy`))[0]).toBe(500);
    expect(errors).toEqual(['auth backend exploded']);
    const client = await connect(`${fixture.url}/?who=ada`);
    client.send('welcome');
    expect((await nextMessage(client))[0].toString()).toBe('welcome');
    client.terminate();
  });

  it('may decide asynchronously; the socket waits natively', async () => {
    fixture = await startEchoServer({
      async upgrade(request) {
        await new Promise((resolve) => setImmediate(resolve));
        return request.headers.authorization === 'Bearer good' ? { data: 'token-ok' } : { status: 401, message: 'Bad token' };
      },
    });
    expect(await refusedUpgrade(fixture.url, { headers: { authorization: 'Bearer bad' } })).toEqual([401, 'Bad token']);
    const connection = once(fixture.server, 'connection');
    const client = await connect(fixture.url, { headers: { authorization: 'Bearer good' } });
    expect((await connection)[0].data).toBe('token-ok');
    client.terminate();
  });

  it('a verdict that never comes is cut at the handshake timeout', async () => {
    const pending = [];
    fixture = await startEchoServer({
      handshakeTimeout: 300,
      upgrade: () => new Promise((resolve) => pending.push(resolve)),
    });
    const client = new WebSocket(fixture.url);
    client.on('error', () => {}); // "socket hang up" is the expected outcome
    const code = await new Promise((resolve) => client.once('close', resolve)); // the server dropped it
    expect(code).toBe(1006);
    expect(pending).toHaveLength(1);
    pending[0](true); // too late: nothing happens
    expect(fixture.server.connectionCount).toBe(0);
  });

  it('server.close() does not wait for undecided upgrades', async () => {
    let reached;
    const asked = new Promise((resolve) => (reached = resolve));
    // A handshake timeout longer than the test's own: waiting for it fails the test.
    fixture = await startEchoServer({
      handshakeTimeout: 120_000,
      upgrade: () => {
        reached();
        return new Promise(() => {});
      },
    });
    const client = new WebSocket(fixture.url);
    const dropped = new Promise((resolve) => client.once('close', resolve));
    client.on('error', () => {});
    await asked;
    await fixture.server.close({ timeout: 1000 });
    fixture = undefined;
    expect(await dropped).toBe(1006);
  });
});

describe('tokenFromRequest', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 100 });
  });

  it('finds the token in the query, a Bearer header or a bearer.<token> subprotocol', async () => {
    const { tokenFromRequest } = await import('../../lib/index.js');
    const tokens = [];
    fixture = await startEchoServer({
      upgrade(request) {
        const token = tokenFromRequest(request);
        tokens.push(token);
        return token === null ? { status: 401, message: 'No token' } : { data: token, protocol: request.protocols[0] };
      },
    });
    const viaQuery = await connect(`${fixture.url}/?token=q1`);
    const viaHeader = await connect(fixture.url, { headers: { authorization: 'Bearer h2' } });
    const viaProtocol = await connect(fixture.url, ['bearer.p3']);
    expect(viaProtocol.protocol).toBe('bearer.p3'); // browsers need the offered protocol answered
    expect(await refusedUpgrade(fixture.url)).toEqual([401, 'No token']);
    expect(tokens).toEqual(['q1', 'h2', 'p3', null]);
    for (const client of [viaQuery, viaHeader, viaProtocol]) client.terminate();
  });
});

describe('handleProtocols(protocols, request): ws-style subprotocol choice', () => {
  let fixture;
  const clients = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await fixture?.server.close({ timeout: 100 });
  });

  // Resolves with the response's Sec-WebSocket-Protocol header (or null) and
  // the client; ws fails a client whose offer got no answer, so errors are kept.
  const offer = (protocols) =>
    new Promise((resolve) => {
      const client = new WebSocket(fixture.url, protocols);
      clients.push(client);
      client.on('error', () => {});
      client.once('upgrade', (response) => resolve(response.headers['sec-websocket-protocol'] ?? null));
    });

  it('gets the offered names as a Set with the request and picks one, sync or async', async () => {
    const seen = [];
    fixture = await startEchoServer({
      async handleProtocols(protocols, request) {
        seen.push([[...protocols], request.path]);
        await Promise.resolve();
        return protocols.has('v2') ? 'v2' : false;
      },
    });
    const connection = once(fixture.server, 'connection');
    const client = await connect(`${fixture.url}/app`, ['v1', 'v2']);
    clients.push(client);
    const [ws] = await connection;
    expect(client.protocol).toBe('v2');
    expect(ws.protocol).toBe('v2');
    expect(seen).toEqual([[['v1', 'v2'], '/app']]);
    expect(await offer(['v1'])).toBe(null); // false: no protocol in the response
  });

  it('ignores a name the client did not offer, and an upgrade verdict with a protocol wins', async () => {
    fixture = await startEchoServer({
      upgrade: (request) => (request.query.get('pin') ? { protocol: 'pinned' } : true),
      handleProtocols: () => 'made-up',
    });
    expect(await offer(['a', 'b'])).toBe(null);
    const client = await connect(`${fixture.url}/?pin=1`, ['pinned', 'a']);
    clients.push(client);
    expect(client.protocol).toBe('pinned');
  });

  it('a throwing handleProtocols refuses that upgrade with 500 and reaches the error listener', async () => {
    fixture = await startEchoServer({
      handleProtocols: () => {
        throw new Error('boom');
      },
    });
    const failed = once(fixture.server, 'error');
    expect(await refusedUpgrade(fixture.url, ['x'])).toEqual([500, 'Internal Server Error']);
    const [error] = await failed;
    expect(error.message).toBe('boom');
  });
});

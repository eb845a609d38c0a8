// Seed 004's REST fallback through a real HTTP server beside a real facet:
// the endpoints, their authentication and authorization, and what reaches
// WebSocket clients through them.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createRestFallback, tokenFromRequest } from '../../../lib/index.js';
import { ClientState, HyphaeClient } from '../../../lib/client/index.js';
import { startFacet } from '../helpers/facet.js';
import { nextEvent as next, nextMessages } from '../helpers/hyphae-client.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { unusedPort } from '../helpers/ports.js';

const SESSIONS = { 't-ada': { userId: 'ada', sessionId: 's-ada' }, 't-ops': { userId: 'ops', role: 'service' } };
const authenticateMessage = (connection, message) => SESSIONS[message?.body?.token] ?? false;

describe('REST fallback (createRestFallback)', () => {
  const cleanup = cleanupAfterEach();

  async function setup(restOptions = {}) {
    const fixture = await startFacet({ connection: { authenticate: authenticateMessage } });
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    fixture.facet.registerMessageHandler('who://am-i', (message, params, { connection, auth }) => ({
      userId: auth?.userId ?? null,
      over: connection === null ? 'http' : 'websocket',
    }));
    const rest = createRestFallback(fixture.facet, {
      authenticate: (req) => SESSIONS[tokenFromRequest(req)] ?? null,
      authorize: (auth, action) => auth.role === 'service' || action === 'none',
      ...restOptions,
    });
    const http = createServer((req, res) => rest(req, res));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanup.push(() => new Promise((resolve) => http.close(resolve)));
    const base = `http://127.0.0.1:${http.address().port}/ws-api`;
    const call = async (method, path, { token, body, raw } = {}) => {
      const headers = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await response.text();
      return [response.status, text ? JSON.parse(text) : null];
    };
    return { ...fixture, call, base };
  }

  async function sessionClient(url, token) {
    const client = new HyphaeClient({ url, auth: { token }, reconnect: false });
    cleanup.push(() => client.close());
    await client.connect();
    return client;
  }

  it('status is public; send routes an envelope (or a seed 002 request) with the caller as auth and no connection', async () => {
    const { call } = await setup();
    const [status, health] = await call('GET', '/status');
    expect(status).toBe(200);
    expect(health).toMatchObject({ running: true, healthy: true, connections: 0 });

    expect(await call('POST', '/send', { token: 't-ada', body: { path: 'who://am-i', correlationId: 'h1' } })).toEqual([
      200,
      expect.objectContaining({ success: true, correlationId: 'h1', data: { userId: 'ada', over: 'http' } }),
    ]);
    expect(await call('POST', '/send', { token: 't-ada', body: { id: 'r1', type: 'request', action: 'who://am-i' } })).toEqual([
      200,
      expect.objectContaining({ id: 'r1', type: 'response', payload: { userId: 'ada', over: 'http' } }),
    ]);
    // What only a connection can do is refused in the reply.
    const [, subscribe] = await call('POST', '/send', { token: 't-ada', body: { path: 'websocket://subscribe', body: { topic: 't' } } });
    expect(subscribe.error).toEqual({ code: 'PATH_FORBIDDEN', message: 'Path websocket://subscribe needs a WebSocket connection' });
  });

  it('refuses what it must with a status and a stable code', async () => {
    const { call } = await setup({ maxBodyBytes: 64 });
    expect(await call('POST', '/send', { body: { path: 'who://am-i' } })).toEqual([401, expect.objectContaining({ error: expect.objectContaining({ code: 'AUTH_FAILED' }) })]);
    expect((await call('POST', '/send', { token: 't-ada', raw: '{not json' }))[1].error.code).toBe('INVALID_JSON');
    expect((await call('POST', '/send', { token: 't-ada', raw: `{"path":"${'x'.repeat(100)}"}` }))[0]).toBe(413);
    expect((await call('GET', '/send', { token: 't-ada' }))[0]).toBe(405);
    expect((await call('GET', '/nothing/here'))[0]).toBe(404);
    expect(await call('POST', '/broadcast', { token: 't-ada', body: { sessionId: 's-ada', message: 'x' } })).toEqual([
      403,
      expect.objectContaining({ error: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    ]);
    expect((await call('POST', '/notify/operation', { token: 't-ops', body: { sessionId: 's-ada', operationId: 'o', status: 'done' } }))[0]).toBe(400);
    expect(() => createRestFallback({})).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION' }));
    expect(() => createRestFallback({ routeRequest() {} }, { prefix: 'api/' })).toThrow(/prefix/);
  });

  it("service calls reach the session's WebSocket connections: broadcast, its connections, and operation notices as reliable deliveries", async () => {
    const { call, url } = await setup();
    const client = await sessionClient(url, 't-ada');
    const received = [];
    const arrived = () => nextMessages(client, 1).then((messages) => received.push(...messages));

    let waiting = arrived();
    expect(await call('POST', '/broadcast', { token: 't-ops', body: { sessionId: 's-ada', message: { type: 'notice', text: 'hi' } } })).toEqual([200, { sent: 1 }]);
    await waiting;
    expect(received[0]).toEqual({ type: 'notice', text: 'hi' });

    const [status, listing] = await call('GET', '/connections/session/s-ada', { token: 't-ops' });
    expect(status).toBe(200);
    expect(listing).toEqual({ sessionId: 's-ada', connections: [expect.objectContaining({ id: expect.any(String), userId: 'ada' })] });

    waiting = arrived();
    const [accepted, answer] = await call('POST', '/notify/operation', {
      token: 't-ops',
      body: { sessionId: 's-ada', operationId: 'op-1', status: 'completed', details: { rows: 3 } },
    });
    expect([accepted, answer.accepted]).toEqual([202, true]);
    await waiting;
    expect(received[1]).toMatchObject({
      type: 'operation_completed',
      requiresAck: true,
      payload: { operationId: 'op-1', status: 'completed', details: { rows: 3 } },
    });
  });

  it('works as Express-style middleware: other paths go to next(), a parsed req.body is used', async () => {
    const fixture = await startFacet();
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    fixture.facet.registerMessageHandler('echo://body', (message) => message.body);
    const rest = createRestFallback(fixture.facet, { prefix: '/fallback', authenticate: () => ({ userId: 'any' }) });
    const http = createServer((req, res) => {
      req.body = { path: 'echo://body', body: { parsed: 'by the framework' } };
      rest(req, res, () => {
        res.writeHead(418);
        res.end();
      });
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanup.push(() => new Promise((resolve) => http.close(resolve)));
    const base = `http://127.0.0.1:${http.address().port}`;
    expect((await fetch(`${base}/elsewhere`)).status).toBe(418);
    const reply = await (await fetch(`${base}/fallback/send`, { method: 'POST' })).json();
    expect(reply).toMatchObject({ success: true, data: { parsed: 'by the framework' } });
  });
});

describe('hyphae/client over the REST fallback', () => {
  const cleanup = cleanupAfterEach();

  async function restServer() {
    const fixture = await startFacet();
    cleanup.push(() => fixture.facet.stop({ timeout: 100 }));
    fixture.facet.registerMessageHandler('who://am-i', (message, params, { connection, auth }) => ({
      userId: auth?.userId ?? null,
      over: connection === null ? 'http' : 'websocket',
    }));
    const rest = createRestFallback(fixture.facet, { authenticate: (req) => SESSIONS[tokenFromRequest(req)] ?? null });
    const http = createServer((req, res) => rest(req, res));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanup.push(() => new Promise((resolve) => http.close(resolve)));
    return `http://127.0.0.1:${http.address().port}/ws-api`;
  }

  it('once a WebSocket attempt failed, waiting and new requests go over HTTP with the auth token, while it keeps trying', async () => {
    const restUrl = await restServer();
    const client = new HyphaeClient({
      url: `ws://127.0.0.1:${await unusedPort()}/ws`,
      auth: () => ({ token: 't-ada' }),
      // Never gives up, and the next attempt is far off: a request must not
      // wait for it.
      reconnect: { initialDelay: 60_000, maxDelay: 60_000, jitter: 0 },
      rest: { url: `${restUrl}/` },
    });
    cleanup.push(() => client.close());
    const early = client.request('who://am-i'); // queued: no attempt has failed yet
    const retrying = next(client, 'reconnecting');
    client.connect().catch(() => {}); // settles only at close()
    expect(await early).toEqual({ userId: 'ada', over: 'http' });
    await retrying;
    expect(client.state).toBe(ClientState.CONNECTING);
    expect(await client.request('who://am-i')).toEqual({ userId: 'ada', over: 'http' });
    await expect(client.request('no://route')).rejects.toMatchObject({ replyCode: 'ROUTE_NOT_FOUND' });
    expect(client.pendingRequests).toBe(0);
  });

  it('after the client gave up on the WebSocket, requests still go over HTTP', async () => {
    const restUrl = await restServer();
    const client = new HyphaeClient({
      url: `ws://127.0.0.1:${await unusedPort()}/ws`,
      auth: { token: 't-ada' },
      reconnect: false,
      rest: { url: restUrl },
    });
    cleanup.push(() => client.close());
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED' });
    expect(client.state).toBe(ClientState.DISCONNECTED);
    expect(await client.request('who://am-i')).toEqual({ userId: 'ada', over: 'http' });
  });

  it('the server refusing the token, or no server at all, are clear errors', async () => {
    const restUrl = await restServer();
    const port = await unusedPort();
    const refused = new HyphaeClient({ url: `ws://127.0.0.1:${port}/ws`, auth: { token: 'wrong' }, reconnect: false, rest: { url: restUrl } });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED' });
    await expect(refused.request('who://am-i')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_REQUEST_FAILED', replyCode: 'AUTH_FAILED' });

    const nowhere = new HyphaeClient({ url: `ws://127.0.0.1:${port}/ws`, reconnect: false, rest: { url: `http://127.0.0.1:${port}/ws-api` } });
    await expect(nowhere.connect()).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED' });
    await expect(nowhere.request('who://am-i')).rejects.toMatchObject({ code: 'ERR_HYPHAE_CLIENT_REST_FAILED' });
    expect(() => new HyphaeClient({ url: 'ws://x', rest: { url: 'http://x', retries: 1 } })).toThrow(/"rest"/);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketFacet } from '../../../lib/index.js';
import { nextMessage } from '../helpers/clients.js';
import { connectTo, jsonMessages, request, startFacet } from '../helpers/facet.js';

describe('envelope routing', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.facet.stop();
  });

  async function setup(config, register) {
    fixture = await startFacet(config);
    register?.(fixture.facet);
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    return { facet: fixture.facet, client, connection };
  }

  it('routes exact and {param} paths and replies with correlationId and metadata', async () => {
    const calls = [];
    const { client, connection } = await setup({}, (facet) => {
      facet.registerMessageHandler('user://get/{id}', (message, params, context) => {
        calls.push({ message, params, context });
        return { data: { id: params.id } };
      });
      facet.registerMessageHandler('user://list', () => ['a', 'b']);
    });
    const reply = await request(client, {
      path: 'user://get/42',
      body: { fields: ['name'] },
      correlationId: 'c-1',
      metadata: { traceId: 'trace-9', headers: { 'x-a': '1' } },
    });
    expect(reply).toEqual({
      success: true,
      data: { id: '42' },
      correlationId: 'c-1',
      error: null,
      metadata: { traceId: 'trace-9', timestamp: expect.any(Number) },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].params).toEqual({ id: '42' });
    expect(calls[0].message).toMatchObject({
      path: 'user://get/42',
      body: { fields: ['name'] },
      correlationId: 'c-1',
      connectionId: connection.id,
      metadata: { traceId: 'trace-9', headers: { 'x-a': '1' } },
    });
    expect(calls[0].context).toEqual({ connection, connectionId: connection.id, auth: null });
    // A plain return value is the data.
    expect(await request(client, { path: 'user://list', correlationId: 'c-2' })).toMatchObject({
      success: true,
      data: ['a', 'b'],
      correlationId: 'c-2',
    });
    client.terminate();
  });

  it('messages without a path go to routing.defaultPath', async () => {
    const { client } = await setup({ routing: { defaultPath: 'chat://say' } }, (facet) =>
      facet.registerMessageHandler('chat://say', (message) => ({ echoed: message.body.text })),
    );
    expect((await request(client, { body: { text: 'hi' } })).data).toEqual({ echoed: 'hi' });
    client.terminate();
  });

  it.each([
    ['invalid JSON', '{not json', { code: 'INVALID_JSON', message: 'Invalid JSON message format' }, null],
    ['a JSON array', '[1,2]', { code: 'INVALID_MESSAGE', message: expect.any(String) }, null],
    ['a JSON number', '42', { code: 'INVALID_MESSAGE', message: expect.any(String) }, null],
    ['a non-string path', { path: 7, correlationId: 'p' }, { code: 'INVALID_MESSAGE', message: expect.any(String) }, 'p'],
    ['an unknown path', { path: 'no://where', correlationId: 'n' }, { code: 'ROUTE_NOT_FOUND', message: 'Route not found' }, 'n'],
  ])('%s gets an error reply', async (_, envelope, error, correlationId) => {
    const { client } = await setup();
    const reply = await request(client, envelope);
    expect(reply).toMatchObject({ success: false, data: null, correlationId, error });
    client.terminate();
  });

  it('a throwing handler replies HANDLER_ERROR with its message only', async () => {
    const { client } = await setup({}, (facet) => {
      facet.registerMessageHandler('boom://sync', () => {
        throw new Error('database is down');
      });
      facet.registerMessageHandler('boom://async', async () => {
        throw new TypeError('bad input');
      });
      facet.registerMessageHandler('boom://value', () => {
        throw 'not an error object';
      });
    });
    const sync = await request(client, { path: 'boom://sync', correlationId: 's' });
    expect(sync.error).toEqual({ code: 'HANDLER_ERROR', message: 'database is down' });
    expect(JSON.stringify(sync)).not.toMatch(/at |\.js:/); // no stack, no file names
    expect((await request(client, { path: 'boom://async' })).error).toEqual({ code: 'HANDLER_ERROR', message: 'bad input' });
    expect((await request(client, { path: 'boom://value' })).error).toEqual({ code: 'HANDLER_ERROR', message: 'Handler failed' });
    client.terminate();
  });

  it('{ success: false } from a handler is a HANDLER_FAILED reply carrying its error', async () => {
    const { client } = await setup({}, (facet) => {
      facet.registerMessageHandler('auth://check', () => ({ success: false, error: 'Unauthorized' }));
      facet.registerMessageHandler('auth://coded', () => ({ success: false, error: { code: 'FORBIDDEN', message: 'No' } }));
    });
    expect(await request(client, { path: 'auth://check', correlationId: 'a' })).toMatchObject({
      success: false,
      correlationId: 'a',
      error: { code: 'HANDLER_FAILED', message: 'Unauthorized' },
    });
    expect((await request(client, { path: 'auth://coded' })).error).toEqual({ code: 'FORBIDDEN', message: 'No' });
    client.terminate();
  });

  it('binary frames are refused with a reply unless onBinary handles them', async () => {
    const { facet, client, connection } = await setup();
    client.send(Buffer.from([1, 2, 3]));
    expect(JSON.parse((await nextMessage(client))[0].toString()).error.code).toBe('BINARY_NOT_SUPPORTED');
    const received = [];
    facet.onBinary((from, data) => {
      received.push([from.id, [...data]]);
      from.send(Buffer.from([9]));
    });
    client.send(Buffer.from([4, 5]));
    const [data, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect([...data]).toEqual([9]);
    expect(received).toEqual([[connection.id, [4, 5]]]);
    client.terminate();
  });

  it('clients may not use websocket://send|broadcast|close unless the app handles them', async () => {
    const { facet, client } = await setup();
    const [other] = await connectTo(facet, fixture.url);
    const otherInbox = jsonMessages(other);
    for (const path of ['websocket://send', 'websocket://broadcast', 'websocket://close']) {
      const reply = await request(client, { path, body: { message: 'spam', connectionId: 'x' }, correlationId: path });
      expect(reply).toMatchObject({ success: false, correlationId: path, error: { code: 'PATH_FORBIDDEN' } });
    }
    facet.registerMessageHandler('websocket://broadcast', () => ({ allowed: true }));
    expect((await request(client, { path: 'websocket://broadcast' })).data).toEqual({ allowed: true });
    // Nothing reached the other client: a round trip of its own comes back first.
    expect((await request(other, { path: 'ping://none', correlationId: 'o' })).correlationId).toBe('o');
    expect(otherInbox.map((m) => m.correlationId)).toEqual(['o']);
    client.terminate();
    other.terminate();
  });

  it('transformIncoming and transformOutgoing shape envelopes and replies', async () => {
    const { client } = await setup(
      {
        routing: {
          transformIncoming: (raw, connection) => ({ path: `legacy://${raw.type}`, body: raw.payload, correlationId: raw.id, from: connection.id }),
          transformOutgoing: (reply) => ({ id: reply.correlationId, ok: reply.success, result: reply.data }),
        },
      },
      (facet) => facet.registerMessageHandler('legacy://sum', (message) => message.body.a + message.body.b),
    );
    expect(await request(client, { type: 'sum', payload: { a: 2, b: 3 }, id: 'r1' })).toEqual({ id: 'r1', ok: true, result: 5 });
    client.terminate();
  });

  it('routeMessage() runs the pipeline for strings and objects and resolves with the reply', async () => {
    const { facet, client, connection } = await setup({}, (f) =>
      f.registerMessageHandler('calc://double', (message) => message.body.n * 2),
    );
    const inbox = jsonMessages(client);
    expect(await facet.routeMessage(connection.id, JSON.stringify({ path: 'calc://double', body: { n: 4 }, correlationId: 'k' })))
      .toMatchObject({ success: true, data: 8, correlationId: 'k' });
    expect(await facet.routeMessage(connection.id, { path: 'calc://double', body: { n: 5 } })).toMatchObject({ data: 10 });
    expect(await facet.routeMessage(connection.id, 'garbage')).toMatchObject({ error: { code: 'INVALID_JSON' } });
    await expect(facet.routeMessage('ghost', {})).rejects.toMatchObject({ code: 'ERR_HYPHAE_CONNECTION_NOT_FOUND' });
    // routeMessage resolves with the reply; it does not send it.
    expect((await request(client, { path: 'calc://double', body: { n: 1 } })).data).toBe(2);
    expect(inbox).toHaveLength(1);
    client.terminate();
  });
});

describe('facet configuration', () => {
  it.each([
    [{ websocket: { prot: 1 } }, 'websocket.prot'],
    [{ websocket: { port: 'x' } }, 'websocket.port'],
    [{ websocket: { type: 'socket.io' } }, 'websocket.type'],
    [{ websocket: { options: { maxPayload: -1 } } }, 'websocket.options.maxPayload'],
    [{ websocket: { options: { zip: true } } }, 'websocket.options.zip'],
    [{ connection: { pingInterval: 'soon' } }, 'connection.pingInterval'],
    [{ connection: { generateConnectionId: 'uuid' } }, 'connection.generateConnectionId'],
    [{ routing: { enableBroadcast: 'yes' } }, 'routing.enableBroadcast'],
    [{ routing: { transformIncoming: {} } }, 'routing.transformIncoming'],
    [{ extra: {} }, 'extra'],
  ])('rejects %j naming %s', (config, name) => {
    expect(() => createWebSocketFacet(config)).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining(`"${name}"`) }),
    );
  });

  it('accepts seed 001 configuration, including options implemented by later issues', () => {
    const facet = createWebSocketFacet({
      websocket: { type: 'ws', port: 8080, host: '0.0.0.0', path: '/ws', options: { perMessageDeflate: true, maxPayload: 1024 * 1024, clientTracking: true } },
      connection: { maxConnections: 1000, connectionTimeout: 30000, pingInterval: 25000, pingTimeout: 5000, generateConnectionId: () => 'id' },
      routing: { defaultPath: 'websocket://message', enableBroadcast: true, enableDirectSend: true, transformIncoming: (m) => m, transformOutgoing: (r) => r },
    });
    expect(facet.isRunning()).toBe(false);
  });

  it('start() options are checked too', async () => {
    const facet = createWebSocketFacet({ websocket: { host: '127.0.0.1', port: 0 } });
    await expect(facet.start({ colour: 'red' })).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_OPTION' });
    await expect(facet.start({ callback: 'x' })).rejects.toMatchObject({ code: 'ERR_HYPHAE_INVALID_OPTION' });
    expect(facet.isRunning()).toBe(false);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { BaseSubsystem, Facet, createHook } from 'mycelia-kernel-plugin';
import { useNativeWebSocket } from '../../../lib/mycelia.js';
import { closed, connect, nextMessage } from '../helpers/clients.js';
import { request } from '../helpers/facet.js';

const source = import.meta.url;

// Stand-ins shaped as shared/design/mycelia-facts.md describes the kernel:
// a `messages` facet that creates messages, a subsystem `router` facet, and a
// message system whose messageSystemRouter answers null or a nested result.
function kernel() {
  const created = [];
  const kernelRoutes = new Map();
  const routerTable = new Map();
  const useMessages = createHook({
    kind: 'messages',
    source,
    fn: () =>
      new Facet('messages', { source }).add({
        create(path, body, { meta } = {}) {
          const message = {
            id: `msg-${created.length + 1}`,
            path,
            body,
            meta,
            getMeta: () => ({ getTraceId: () => `kernel-${meta.traceId}` }),
          };
          created.push(message);
          return message;
        },
      }),
  });
  const useRouter = createHook({
    kind: 'router',
    source,
    fn: () =>
      new Facet('router', { source }).add({
        registerRoute: (path, handler) => routerTable.set(path, handler) && true,
        unregisterRoute: (path) => routerTable.delete(path),
        hasRoute: (path) => routerTable.has(path),
        getRoutes: () => [...routerTable.keys()],
        _routeRegistry: routerTable,
      }),
  });
  const messageSystemRouter = {
    async route(message) {
      const handler = kernelRoutes.get(message.path);
      if (!handler) return null;
      const result = await handler(message);
      return { success: true, subsystem: 'orders', messageId: message.id, result: { accepted: true, processed: true, result } };
    },
  };
  const ms = { find: (name) => (name === 'messageSystemRouter' ? messageSystemRouter : null) };
  return { created, kernelRoutes, routerTable, useMessages, useRouter, ms };
}

describe('kernel mode', () => {
  let system;
  afterEach(async () => {
    await system?.dispose();
    system = undefined;
  });

  async function build({ routing, withMessages = true } = {}) {
    const k = kernel();
    system = new BaseSubsystem('websocket', { ms: k.ms, config: { websocket: { host: '127.0.0.1', port: 0 }, routing } });
    if (withMessages) system.use(k.useMessages);
    system.use(k.useRouter).use(useNativeWebSocket);
    await system.build();
    const facet = system.find('websocket');
    await facet.start();
    return { ...k, facet, url: `ws://127.0.0.1:${facet.getPort()}/ws` };
  }

  async function client(facet, url) {
    const opened = new Promise((resolve) => {
      const off = facet.onConnection((connection) => {
        off();
        resolve(connection);
      });
    });
    const ws = await connect(url);
    return [ws, await opened];
  }

  it('routes client envelopes through messages.create and messageSystemRouter, unwrapping the result', async () => {
    const k = await build();
    k.kernelRoutes.set('orders://create', (message) => ({ success: true, data: { orderId: 7, qty: message.body.qty } }));
    const [ws, connection] = await client(k.facet, k.url);
    const reply = await request(ws, { path: 'orders://create', body: { qty: 3 }, correlationId: 'o-1', metadata: { traceId: 't-1' } });
    expect(reply).toEqual({
      success: true,
      data: { orderId: 7, qty: 3 },
      correlationId: 'o-1',
      error: null,
      metadata: { traceId: 'kernel-t-1', timestamp: expect.any(Number) },
    });
    expect(k.created).toHaveLength(1);
    expect(k.created[0]).toMatchObject({
      path: 'orders://create',
      body: { qty: 3 },
      meta: { traceId: 't-1', correlationId: 'o-1', connectionId: connection.id, websocket: true, processImmediately: true },
    });
    ws.terminate();
  });

  it('null from the kernel router is "Route not found"; failures and throws become error replies', async () => {
    const k = await build();
    k.kernelRoutes.set('orders://deny', () => ({ success: false, error: 'Not allowed' }));
    k.kernelRoutes.set('orders://crash', () => {
      throw new Error('kernel exploded');
    });
    const [ws] = await client(k.facet, k.url);
    expect(await request(ws, { path: 'orders://none', correlationId: 'n' })).toMatchObject({
      success: false,
      correlationId: 'n',
      error: { code: 'ROUTE_NOT_FOUND', message: 'Route not found' },
    });
    expect((await request(ws, { path: 'orders://deny' })).error).toEqual({ code: 'HANDLER_FAILED', message: 'Not allowed' });
    expect((await request(ws, { path: 'orders://crash' })).error).toEqual({ code: 'ROUTING_ERROR', message: 'kernel exploded' });
    ws.terminate();
  });

  it("the facet's own handlers answer first; the kernel gets the rest", async () => {
    const k = await build();
    k.facet.registerMessageHandler('local://time', () => ({ local: true }));
    k.kernelRoutes.set('local://time', () => ({ kernel: true }));
    const [ws] = await client(k.facet, k.url);
    expect((await request(ws, { path: 'local://time' })).data).toEqual({ local: true });
    expect(k.created).toHaveLength(0);
    ws.terminate();
  });

  it('answers websocket://send, broadcast and close for other subsystems', async () => {
    const k = await build();
    expect([...k.routerTable.keys()].sort()).toEqual(['websocket://broadcast', 'websocket://close', 'websocket://send']);
    const [a, first] = await client(k.facet, k.url);
    const [b] = await client(k.facet, k.url);

    const direct = nextMessage(a);
    const sent = await k.routerTable.get('websocket://send')({ body: { connectionId: first.id, message: { hi: 1 } } });
    expect(sent).toMatchObject({ success: true, data: { connectionId: first.id } });
    expect(JSON.parse((await direct)[0].toString())).toEqual({ hi: 1 });

    const inboxes = [nextMessage(a), nextMessage(b)];
    expect(await k.routerTable.get('websocket://broadcast')({ body: { message: 'to all' } })).toEqual({ success: true, data: { sent: 2 } });
    for (const inbox of inboxes) expect((await inbox)[0].toString()).toBe('to all');

    expect(await k.routerTable.get('websocket://send')({ body: { connectionId: 'ghost', message: 'x' } })).toEqual({
      success: false,
      error: 'Connection ghost not found',
    });

    const done = closed(a);
    expect(await k.routerTable.get('websocket://close')({ body: { connectionId: first.id, code: 4100, reason: 'moved' } })).toMatchObject({ success: true });
    expect(await done).toEqual([4100, 'moved']);
    b.terminate();
  });

  it('kernel operations respect the routing enable flags', async () => {
    const k = await build({ routing: { enableDirectSend: false, enableBroadcast: false } });
    const [ws, connection] = await client(k.facet, k.url);
    expect(await k.routerTable.get('websocket://send')({ body: { connectionId: connection.id, message: 'x' } })).toMatchObject({ success: false });
    expect(await k.routerTable.get('websocket://broadcast')({ body: { message: 'x' } })).toMatchObject({ success: false });
    ws.terminate();
  });

  it('without a messages facet the hook routes with its own table', async () => {
    const k = await build({ withMessages: false });
    k.kernelRoutes.set('orders://create', () => ({ kernel: true }));
    const [ws] = await client(k.facet, k.url);
    expect((await request(ws, { path: 'orders://create' })).error.code).toBe('ROUTE_NOT_FOUND');
    k.facet.registerMessageHandler('orders://create', () => ({ own: true }));
    expect((await request(ws, { path: 'orders://create' })).data).toEqual({ own: true });
    ws.terminate();
  });

  it('dispose() stops the server and unregisters the kernel operations', async () => {
    const k = await build();
    const [ws] = await client(k.facet, k.url);
    const done = closed(ws);
    await system.dispose();
    system = undefined;
    expect(await done).toEqual([1001, 'Server shutting down']);
    expect(k.facet.isRunning()).toBe(false);
    expect(k.routerTable.size).toBe(0);
  });
});

import { once } from 'node:events';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../lib/index.js';
import { closed, connect, nextMessage, startEchoServer } from './helpers/clients.js';

describe('server lifecycle', () => {
  const servers = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  async function start(options) {
    const fixture = await startEchoServer(options);
    servers.push(fixture.server);
    return fixture;
  }

  it('listens on port 0 and reports the bound port', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    servers.push(server);
    const listening = once(server, 'listening');
    const address = await server.listen();
    expect(address.port).toBeGreaterThan(0);
    expect(address).toEqual({ address: '127.0.0.1', port: address.port, family: 'IPv4' });
    expect(server.address()).toEqual(address);
    expect(server.listening).toBe(true);
    expect((await listening)[0]).toEqual(address);
    const client = await connect(`ws://127.0.0.1:${address.port}`);
    client.terminate();
  });

  it('refuses to listen twice, and a taken port gives EADDRINUSE', async () => {
    const { server, port } = await start();
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_HYPHAE_ALREADY_LISTENING' });
    const second = new WebSocketServer({ host: '127.0.0.1', port });
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(second.listening).toBe(false);
  });

  it('reports open and close with the client code and reason', async () => {
    const events = [];
    const { port } = await start({
      open: (ws) => events.push(['open', ws.remoteAddress, ws.url, ws.headers['x-user']]),
      close: (ws, code, reason) => events.push(['close', code, reason, ws.readyState]),
    });
    const client = await connect(`ws://127.0.0.1:${port}/chat?room=7`, { headers: { 'X-User': 'ada' } });
    client.close(4321, 'going home');
    await closed(client);
    await expect.poll(() => events.length).toBe(2);
    expect(events).toEqual([
      ['open', '127.0.0.1', '/chat?room=7', 'ada'],
      ['close', 4321, 'going home', 3],
    ]);
  });

  it('closes from the server with a code and reason the client sees', async () => {
    const { server } = await start();
    const connection = once(server, 'connection');
    const client = await connect(`ws://127.0.0.1:${server.address().port}`);
    const [ws] = await connection;
    const serverSide = once(ws, 'close');
    const clientSide = closed(client);
    const lastMessage = nextMessage(client);
    ws.send('last words');
    ws.close(4000, 'bye from server');
    expect(ws.readyState).toBe(2);
    const [data] = await lastMessage;
    expect(data.toString()).toBe('last words');
    expect(await clientSide).toEqual([4000, 'bye from server']);
    expect(await serverSide).toEqual([4000, 'bye from server']);
    expect(ws.send('too late')).toBe(0);
    ws.close(); // idempotent
  });

  it('rejects invalid close codes and reasons with coded errors', async () => {
    const { server } = await start();
    const connection = once(server, 'connection');
    const client = await connect(`ws://127.0.0.1:${server.address().port}`);
    const [ws] = await connection;
    expect(() => ws.close(1005)).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_CLOSE_CODE' }));
    expect(() => ws.close(99999)).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_CLOSE_CODE' }));
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_CLOSE_REASON' }),
    );
    client.send('still open');
    expect((await nextMessage(client))[0].toString()).toBe('still open');
    client.terminate();
  });

  it('close() sends 1001 to every client, gives each one close event, then resolves', async () => {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      message: (ws, data) => ws.send(data),
    });
    const { port } = await server.listen();
    const closes = [];
    server.on('connection', (ws) => ws.on('close', (code) => closes.push([ws.id, code])));
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect(`ws://127.0.0.1:${port}`)));
    const clientCloses = clients.map(closed);
    const serverClosed = once(server, 'close');
    await server.close();
    await serverClosed;
    for (const result of await Promise.all(clientCloses)) expect(result).toEqual([1001, 'Server shutting down']);
    expect(closes).toHaveLength(10);
    expect(new Set(closes.map(([id]) => id)).size).toBe(10);
    expect(closes.every(([, code]) => code === 1001)).toBe(true);
    expect(server.listening).toBe(false);
    expect(server.address()).toBe(null);
    expect(server.connectionCount).toBe(0);
    await server.close(); // a no-op once closed
  });

  it('a connection whose handshake completes during close() gets 1001 too, not a dropped socket', async () => {
    // The upgrade is accepted and close() follows in the same turn: the 101
    // goes out while the server is already shutting down.
    const server = new WebSocketServer({
      host: '127.0.0.1',
      upgrade() {
        queueMicrotask(() => server.close());
        return true;
      },
    });
    const opened = [];
    server.on('connection', (ws) => opened.push(ws.id));
    const { port } = await server.listen();
    const serverClosed = once(server, 'close');
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const clientOpened = once(client, 'open');
    expect(await closed(client)).toEqual([1001, 'Server shutting down']);
    await clientOpened;
    await serverClosed;
    expect(opened).toHaveLength(1);
  });

  it('close() while the application decides an upgrade answers that request 503', async () => {
    let asked;
    const deciding = new Promise((resolve) => (asked = resolve));
    const server = new WebSocketServer({
      host: '127.0.0.1',
      upgrade() {
        asked();
        return new Promise(() => {}); // never decides
      },
    });
    const { port } = await server.listen();
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const status = new Promise((resolve) => {
      client.on('unexpected-response', (request, response) => {
        resolve(response.statusCode);
        request.destroy();
      });
    });
    client.on('error', () => {});
    await deciding;
    await server.close();
    expect(await status).toBe(503);
  });

  it('can listen again after close', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', message: (ws, data) => ws.send(data) });
    servers.push(server);
    await server.listen();
    await server.close();
    const { port } = await server.listen();
    const client = await connect(`ws://127.0.0.1:${port}`);
    client.send('again');
    expect((await nextMessage(client))[0].toString()).toBe('again');
    client.terminate();
  });
});

describe('options', () => {
  it('rejects unknown options by name', () => {
    expect(() => new WebSocketServer({ prot: 80 })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('"prot"') }),
    );
  });

  it.each([
    ['port', -1],
    ['port', '80'],
    ['path', 'ws'],
    ['maxPayloadLength', 0],
    ['threads', 1.5],
    ['message', 'not a function'],
  ])('rejects %s = %j', (name, value) => {
    expect(() => new WebSocketServer({ [name]: value })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining(`"${name}"`) }),
    );
  });
});

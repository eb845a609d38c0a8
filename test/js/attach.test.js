// Sharing a port with a Node HTTP server (Express and the like): `server`,
// `noServer` and handleUpgrade(), as ws offers them. The core answers the
// handshake on the very TCP connection Node accepted.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../../lib/index.js';
import { closed, connect, nextMessage, refusedUpgrade } from './helpers/clients.js';

const cleanups = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()();
});

/** A plain HTTP server on 127.0.0.1 that answers "plain http" to requests. */
async function startHttpServer() {
  const server = http.createServer((req, res) => res.end(`plain http ${req.url}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, port: server.address().port };
}

function attached(options) {
  const wss = new WebSocketServer(options);
  cleanups.push(() => wss.close());
  return wss;
}

async function httpGet(port, path) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return [response.status, await response.text()];
}

/** The raw HTTP response head a plain TCP client gets for `request`. */
async function rawResponse(port, request) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(request, 'latin1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => (text += chunk));
  await once(socket, 'close');
  return text;
}

describe('attached to an HTTP server (`server`)', () => {
  it('serves WebSockets and plain HTTP on one port', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ server, message: (ws, data) => ws.send(`echo ${data}`) });
    const connection = once(wss, 'connection');

    const client = await connect(`ws://127.0.0.1:${port}/live?room=7`);
    const [socket, request] = await connection;
    expect(request.url).toBe('/live?room=7');
    expect(request.headers.upgrade).toBe('websocket');
    expect(request.remoteAddress).toBe('127.0.0.1');
    expect(socket.url).toBe('/live?room=7');
    expect(socket.remotePort).toBe(client._socket.localPort);

    client.send('one');
    expect((await nextMessage(client))[0].toString()).toBe('echo one');
    expect(await httpGet(port, '/page')).toEqual([200, 'plain http /page']);
    client.send('two');
    expect((await nextMessage(client))[0].toString()).toBe('echo two');
  });

  it('applies its own limits and upgrade handler to the adopted connection', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({
      server,
      upgrade: (request) => (request.query.get('token') === 'good' ? { data: { user: 'ada' } } : { status: 401, message: 'no token' }),
      open: (ws) => ws.send(`hello ${ws.data.user}`),
    });
    expect(await refusedUpgrade(`ws://127.0.0.1:${port}/?token=bad`)).toEqual([401, 'no token']);
    const client = new WebSocket(`ws://127.0.0.1:${port}/?token=good`);
    expect((await nextMessage(client))[0].toString()).toBe('hello ada');
    expect(wss.connectionCount).toBe(1);
    client.close();
  });

  it('with `path`, leaves other paths to the HTTP server\'s other upgrade listeners', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ server, path: '/hyphae', message: (ws, data) => ws.send(`hyphae ${data}`) });
    const other = new WsServer({ noServer: true });
    cleanups.push(() => new Promise((resolve) => other.close(resolve)));
    other.on('connection', (ws) => ws.on('message', (data) => ws.send(`ws ${data}`)));
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => other.emit('connection', ws, req));
    });

    const mine = await connect(`ws://127.0.0.1:${port}/hyphae`);
    const theirs = await connect(`ws://127.0.0.1:${port}/other`);
    const replies = Promise.all([nextMessage(mine), nextMessage(theirs)]);
    mine.send('a');
    theirs.send('b');
    const [[first], [second]] = await replies;
    expect([first.toString(), second.toString()]).toEqual(['hyphae a', 'ws b']);
    expect(wss.connectionCount).toBe(1);
    // ws's close() waits for its clients.
    const theirsClosed = closed(theirs);
    theirs.close();
    await theirsClosed;
  });

  it('with `path` and no other listener, answers other paths with 404', async () => {
    const { server, port } = await startHttpServer();
    attached({ server, path: '/hyphae' });
    const [status] = await refusedUpgrade(`ws://127.0.0.1:${port}/elsewhere`);
    expect(status).toBe(404);
  });

  it('close() ends its connections with 1001, lets go of the HTTP server, and is final', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ server, message: (ws, data) => ws.send(data) });
    const client = await connect(`ws://127.0.0.1:${port}/`);
    const clientClosed = closed(client);
    await wss.close();
    expect((await clientClosed)[0]).toBe(1001);
    expect(server.listenerCount('upgrade')).toBe(0);
    expect(await httpGet(port, '/still')).toEqual([200, 'plain http /still']);

    await expect(wss.listen()).rejects.toMatchObject({ code: 'ERR_HYPHAE_ATTACHED' });
    expect(server.listenerCount('upgrade')).toBe(0);
  });

  it('refuses options that belong to a listening server, and https servers', () => {
    const server = http.createServer();
    for (const [name, value] of [['port', 8080], ['host', '127.0.0.1'], ['backlog', 10]]) {
      expect(() => new WebSocketServer({ server, [name]: value })).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining(`"${name}"`) }));
    }
    expect(() => new WebSocketServer({ server, noServer: true })).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION' }));
    expect(() => new WebSocketServer({ server: https.createServer() })).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('"server"') }));
    expect(() => new WebSocketServer({ server: {} })).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION' }));
    expect(server.listenerCount('upgrade')).toBe(0);
  });
});

describe('handleUpgrade() (`noServer`)', () => {
  it('calls back with (ws, req) once open, after an asynchronous decision, and emits no connection itself', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ noServer: true, message: (ws, data) => ws.send(`echo ${data}`) });
    let connections = 0;
    wss.on('connection', () => connections++);
    const opened = new Promise((resolve) => {
      server.on('upgrade', async (req, socket, head) => {
        // An authentication step that takes a turn of the event loop.
        await new Promise((r) => setImmediate(r));
        wss.handleUpgrade(req, socket, head, (ws, request) => resolve([ws, request, req]));
      });
    });
    const client = await connect(`ws://127.0.0.1:${port}/auth`);
    const [ws, request, req] = await opened;
    expect(request).toBe(req);
    expect(request.socket.remoteAddress).toBe('127.0.0.1');
    expect(ws.url).toBe('/auth');
    client.send('x');
    expect((await nextMessage(client))[0].toString()).toBe('echo x');
    expect(connections).toBe(0);
  });

  it('a refused upgrade gets its HTTP answer and no callback', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ noServer: true, allowedOrigins: ['https://app.example'] });
    const called = [];
    let calledBack;
    const callback = new Promise((resolve) => (calledBack = resolve));
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        called.push(ws.url);
        calledBack();
      });
    });
    const [status] = await refusedUpgrade(`ws://127.0.0.1:${port}/x`, { origin: 'https://evil.example' });
    expect(status).toBe(403);
    const ok = await connect(`ws://127.0.0.1:${port}/y`, { origin: 'https://app.example' });
    await callback;
    expect(called).toEqual(['/y']);
    ok.close();
  });

  it('parses the request Node read, byte for byte, including a malformed one', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ noServer: true, upgrade: (request) => ({ headers: { 'x-seen': request.headers['x-odd'] } }) });
    const closeCode = new Promise((resolve) => wss.on('connection', (ws) => ws.on('close', resolve)));
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head));
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const response = await rawResponse(
      port,
      `GET /raw HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-ODD:  a:b  c\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n\x88\x82abcd\x62\x8a`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 101 /);
    expect(response).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(response).toContain('x-seen: a:b  c');
    // The close frame sent behind the request (code 1000) reached the core.
    expect(await closeCode).toBe(1000);

    const bad = await rawResponse(port, 'GET /raw HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('after close(), answers 503', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ noServer: true, message: (ws, data) => ws.send(data) });
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head));
    (await connect(`ws://127.0.0.1:${port}/`)).close();
    await wss.close();
    expect((await refusedUpgrade(`ws://127.0.0.1:${port}/`))[0]).toBe(503);
    expect(await httpGet(port, '/after')).toEqual([200, 'plain http /after']);
  });

  it('also takes upgrades into a server listening on its own port', async () => {
    const { server, port } = await startHttpServer();
    const wss = attached({ host: '127.0.0.1', message: (ws, data) => ws.send(`own ${data}`) });
    const own = await wss.listen();
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head));
    const viaHttp = await connect(`ws://127.0.0.1:${port}/`);
    const direct = await connect(`ws://127.0.0.1:${own.port}/`);
    const replies = Promise.all([nextMessage(viaHttp), nextMessage(direct)]);
    viaHttp.send('1');
    direct.send('2');
    const [[first], [second]] = await replies;
    expect([first.toString(), second.toString()]).toEqual(['own 1', 'own 2']);
    expect(wss.connectionCount).toBe(2);
  });

  it('throws a coded error for a TLS socket and for a socket without a descriptor', () => {
    const wss = attached({ noServer: true });
    const req = { method: 'GET', url: '/', httpVersion: '1.1', rawHeaders: [] };
    const tlsSocket = new tls.TLSSocket(new net.Socket());
    expect(() => wss.handleUpgrade(req, tlsSocket, Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_UNSUPPORTED_SOCKET' }));
    expect(() => wss.handleUpgrade(req, new net.Socket(), Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_UNSUPPORTED_SOCKET' }));
    tlsSocket.destroy();
  });
});

describe('process lifetime when attached', () => {
  it('like ws, keeps Node alive only while it has connections', async () => {
    const script = fileURLToPath(new URL('./fixtures/attach-exit.js', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const [code, signal] = await once(child, 'exit');
    expect(signal).toBe(null);
    expect(code).toBe(0);
    expect(output).toBe('refused 403\nechoed hi\nclosed 1000\n');
  });
});

// Code written for ws, run against hyphae with real ws clients: the
// patterns of ws's README (start by port, broadcast over wss.clients with
// send options, send callbacks, binaryType, req.socket, close(cb)).
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../lib/index.js';
import { closed, collect, connect, nextMessage, refusedUpgrade } from './helpers/clients.js';

describe('drop-in for ws', () => {
  const servers = [];
  const clients = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  function track(server) {
    servers.push(server);
    return server;
  }
  async function client(server, path = '') {
    const socket = await connect(`ws://127.0.0.1:${server.address().port}${path}`);
    clients.push(socket);
    return socket;
  }
  // A server built as ws's README builds one: port in the options, no listen().
  async function started(options = {}) {
    const server = track(new WebSocketServer({ host: '127.0.0.1', port: 0, ...options }));
    await once(server, 'listening');
    return server;
  }

  it('listens by itself when given a port, and calls the constructor callback', async () => {
    let called = 0;
    const server = track(new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => called++));
    expect(server.listening).toBe(false);
    const [address] = await once(server, 'listening');
    expect(called).toBe(1);
    expect(server.address()).toEqual(address);
    // listen() afterwards (hyphae style) gets the same address; a second one is refused.
    await expect(server.listen()).resolves.toEqual(address);
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_HYPHAE_ALREADY_LISTENING' });
    const socket = await client(server);
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });

  it('listen() in the same tick takes over the start; close() before it cancels it', async () => {
    const explicit = track(new WebSocketServer({ host: '127.0.0.1', port: 0 }));
    const listening = [];
    explicit.on('listening', (address) => listening.push(address));
    const address = await explicit.listen();
    await new Promise((resolve) => setImmediate(resolve));
    expect(listening).toEqual([address]);

    const cancelled = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cancelled.on('listening', () => listening.push('cancelled'));
    await cancelled.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(cancelled.listening).toBe(false);
    expect(listening).toEqual([address]);
  });

  it("a port in use is reported to 'error', as ws does", async () => {
    const first = await started();
    const second = new WebSocketServer({ host: '127.0.0.1', port: first.address().port });
    const [error] = await once(second, 'error');
    expect(error.code).toBe('EADDRINUSE');
    expect(second.listening).toBe(false);
  });

  it("ws's broadcast example: clients.forEach with { binary } keeps text text and binary binary", async () => {
    const server = await started();
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        server.clients.forEach((other) => {
          if (other !== ws && other.readyState === WebSocket.OPEN) other.send(data, { binary: isBinary });
        });
      });
    });
    const sender = await client(server);
    const receivers = [await client(server), await client(server)];
    await expect.poll(() => server.clients.size).toBe(3);
    const got = receivers.map((receiver) => new Promise((resolve) => {
      const messages = [];
      receiver.on('message', (data, isBinary) => {
        messages.push([isBinary ? [...data] : data.toString(), isBinary]);
        if (messages.length === 2) resolve(messages);
      });
    }));
    sender.send('hello');
    sender.send(Buffer.from([1, 2, 3]));
    for (const messages of await Promise.all(got)) {
      expect(messages).toEqual([['hello', false], [[1, 2, 3], true]]);
    }
  });

  it('clients is a live, read-only Set of sockets with get(id)', async () => {
    const server = await started();
    const connected = [];
    server.on('connection', (ws) => connected.push(ws));
    const a = await client(server);
    await client(server);
    await expect.poll(() => connected.length).toBe(2);
    const iterated = [...server.clients];
    expect(iterated).toEqual(connected);
    expect([...server.clients.values()]).toEqual(connected);
    expect([...server.clients.entries()]).toEqual(connected.map((ws) => [ws, ws]));
    expect(server.clients.has(connected[0])).toBe(true);
    expect(server.clients.has(connected[0].id)).toBe(true);
    expect(server.clients.get(connected[1].id)).toBe(connected[1]);
    expect(server.clients.has({ id: connected[0].id })).toBe(false);
    expect(server.clients.add).toBeUndefined();
    expect(server.clients.delete).toBeUndefined();
    a.close();
    await expect.poll(() => server.clients.size).toBe(1);
    expect(server.clients.has(connected[0])).toBe(false);
    expect([...server.clients]).toEqual([connected[1]]);
  });

  it('send callbacks: called once queued, with a coded error when not sent', async () => {
    const server = await started({ maxBackpressure: 1024 });
    const [ws] = await Promise.all([once(server, 'connection').then(([socket]) => socket), client(server)]);
    const results = [];
    const done = new Promise((resolve) => {
      ws.send('first', (error) => results.push(['first', error]));
      ws.send('second', { binary: false }, (error) => results.push(['second', error]));
      // Over maxBackpressure: queued (-1), then the next send is dropped.
      expect(ws.send(Buffer.alloc(4096), true, (error) => results.push(['big', error]))).toBe(-1);
      expect(ws.send('dropped', (error) => results.push(['dropped', error?.code]))).toBe(0);
      process.nextTick(resolve);
    });
    // Callbacks run on the next tick, not during send().
    expect(results).toEqual([]);
    await done;
    expect(results).toEqual([['first', undefined], ['second', undefined], ['big', undefined], ['dropped', 'ERR_HYPHAE_SEND_DROPPED']]);
    ws.close();
    const after = await new Promise((resolve) => ws.send('late', resolve));
    expect(after).toMatchObject({ code: 'ERR_HYPHAE_CONNECTION_NOT_OPEN' });
    expect(() => ws.send('x', true, 'not a function')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_HANDLER' }));
  });

  it('fin: false parts reach the client as one message of the first part\'s type', async () => {
    const server = await started();
    const [ws] = await Promise.all([once(server, 'connection').then(([socket]) => socket), client(server)]);
    const socket = clients[0];
    const messages = collect(socket, 2);
    const part = Buffer.from('wor');
    expect(ws.send('hello ', { fin: false })).toBe(0);
    expect(ws.send(part, { fin: false })).toBe(0);
    part.fill(0); // held parts are copies
    ws.send(new Uint8Array([108, 100]), { binary: true });
    ws.send(new Uint8Array([1, 2]), { fin: false });
    ws.send(new Uint8Array([3]).buffer, { fin: true });
    const [text, binary] = await messages;
    expect(text).toBe('hello world');
    expect([...binary]).toEqual([1, 2, 3]);
  });

  it('binaryType shapes binary messages; text stays a string', async () => {
    const server = await started();
    const seen = [];
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          ws.binaryType = data;
          ws.send('ok');
          return;
        }
        const kind = Buffer.isBuffer(data) ? 'Buffer' : Array.isArray(data) ? 'fragments' : data.constructor.name;
        const bytes = Array.isArray(data) ? [...data[0]] : [...new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer, data.byteOffset ?? 0, data.byteLength)];
        seen.push([ws.binaryType, kind, bytes]);
        ws.send('ok');
      });
    });
    const socket = await client(server);
    for (const type of ['nodebuffer', 'arraybuffer', 'uint8array', 'fragments']) {
      socket.send(type);
      await nextMessage(socket);
      socket.send(Buffer.from([7, 8, 9]));
      await nextMessage(socket);
    }
    expect(seen).toEqual([
      ['nodebuffer', 'Buffer', [7, 8, 9]],
      ['arraybuffer', 'ArrayBuffer', [7, 8, 9]],
      ['uint8array', 'Uint8Array', [7, 8, 9]],
      ['fragments', 'fragments', [7, 8, 9]],
    ]);
    const ws = server.clients.values().next().value;
    expect(() => (ws.binaryType = 'blob')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION' }));
    expect(ws.binaryType).toBe('fragments');
  });

  it('req.socket.remoteAddress and the ready states on the instance', async () => {
    const server = await started();
    const connection = once(server, 'connection');
    const socket = await client(server);
    const [ws, req] = await connection;
    expect(req.socket).toEqual({ remoteAddress: '127.0.0.1', remotePort: socket._socket.localPort, remoteFamily: 'IPv4' });
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(ws.readyState).toBe(ws.OPEN);
  });

  it('close(callback): called once closed; with ERR_HYPHAE_NOT_RUNNING when it never ran', async () => {
    const server = await started();
    const socket = await client(server);
    const clientClosed = closed(socket);
    const error = await new Promise((resolve) => server.close(resolve));
    expect(error).toBeUndefined();
    expect((await clientClosed)[0]).toBe(1001);
    const never = new WebSocketServer({ host: '127.0.0.1' });
    expect(await new Promise((resolve) => never.close(resolve))).toMatchObject({ code: 'ERR_HYPHAE_NOT_RUNNING' });
    expect(() => never.close({}, 'nope')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION' }));
  });

  it('verifyClient, sync: true accepts, false refuses with 401; it sees origin, url, headers and socket', async () => {
    const seen = [];
    const server = await started({
      verifyClient: (info) => {
        seen.push([info.origin, info.secure, info.req.url, info.req.headers['x-token'], info.req.socket.remoteAddress]);
        return info.req.headers['x-token'] === 'good';
      },
    });
    const url = `ws://127.0.0.1:${server.address().port}/feed?x=1`;
    const [status] = await refusedUpgrade(url, { headers: { 'X-Token': 'bad' }, origin: 'https://evil.example' });
    expect(status).toBe(401);
    const socket = await connect(url, { headers: { 'X-Token': 'good' }, origin: 'https://app.example' });
    clients.push(socket);
    expect(seen).toEqual([
      ['https://evil.example', false, '/feed?x=1', 'bad', '127.0.0.1'],
      ['https://app.example', false, '/feed?x=1', 'good', '127.0.0.1'],
    ]);
  });

  it('verifyClient, async: cb(false, code, message) refuses with that status; cb(true) accepts', async () => {
    const server = await started({
      verifyClient: (info, cb) => {
        setImmediate(() => (info.req.url === '/ok' ? cb(true) : cb(false, 403, 'Go away')));
      },
    });
    const base = `ws://127.0.0.1:${server.address().port}`;
    expect(await refusedUpgrade(`${base}/nope`)).toEqual([403, 'Go away']);
    const socket = await connect(`${base}/ok`);
    clients.push(socket);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(() => new WebSocketServer({ verifyClient: () => true, upgrade: () => true })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('"verifyClient"') }),
    );
  });

  for (const deflate of [false, true]) {
    it(`pause() holds a connection's messages until resume(), others go on (${deflate ? "Beast's stream" : 'own frames'})`, async () => {
      const received = [];
      const server = await started({
        perMessageDeflate: deflate,
        pingInterval: 40,
        pingTimeout: 20,
        // Beast's stream: its idle timer must not drop a paused connection either.
        idleTimeout: deflate ? 60 : 0,
        message: (ws, data) => {
          received.push([ws.id, data]);
          if (data === 'echo') ws.send('echo');
        },
      });
      const connected = once(server, 'connection');
      const paused = await client(server);
      const [ws] = await connected;
      const other = await client(server);
      ws.pause();
      ws.pause();
      expect(ws.isPaused).toBe(true);
      // Sends to it still go out; this one also tells the client the pause
      // has reached the core (commands to a connection run in order).
      ws.send('paused');
      expect((await nextMessage(paused))[0].toString()).toBe('paused');
      for (const text of ['one', 'two', 'three']) paused.send(text);
      // The other connection is served meanwhile, heartbeat included...
      for (let i = 0; i < 5; i++) {
        other.send('echo');
        await nextMessage(other);
      }
      // Several heartbeat rounds pass (the other client sees their pings).
      for (let ping = 0; ping < 4; ping++) await once(other, 'ping');
      // ...while the paused one is neither read (Beast's stream delivers the
      // one message its pending read took) nor dropped by the heartbeat.
      const mine = () => received.filter(([id]) => id === ws.id).map(([, data]) => data);
      expect(mine()).toEqual(deflate ? ['one'] : []);
      expect(ws.readyState).toBe(ws.OPEN);
      ws.resume();
      expect(ws.isPaused).toBe(false);
      await expect.poll(mine).toEqual(['one', 'two', 'three']);
      paused.send('four');
      await expect.poll(mine).toEqual(['one', 'two', 'three', 'four']);
      ws.close();
      ws.pause(); // closing: the close handshake must not stall
      expect(ws.isPaused).toBe(false);
      await Promise.all([closed(paused), once(ws, 'close')]);
    });
  }

  it("'headers' listeners see the 101 response and add lines (ws's Set-Cookie pattern)", async () => {
    const server = track(new WebSocketServer({ host: '127.0.0.1', port: 0, upgrade: () => ({ headers: { 'X-From-Verdict': 'v' } }) }));
    const seen = [];
    server.on('headers', (lines, req) => {
      seen.push([...lines]);
      lines.push(`Set-Cookie: session=${req.query.get('user')}`, 'X-Extra:  spaced ');
    });
    await once(server, 'listening');
    const socket = new WebSocket(`ws://127.0.0.1:${server.address().port}/?user=ada`);
    clients.push(socket);
    const opened = once(socket, 'open'); // emitted right after 'upgrade'
    const [response] = await once(socket, 'upgrade');
    expect(response.headers['set-cookie']).toEqual(['session=ada']);
    expect(response.headers['x-extra']).toBe('spaced');
    expect(response.headers['x-from-verdict']).toBe('v');
    expect(seen).toEqual([
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${response.headers['sec-websocket-accept']}`,
        'X-From-Verdict: v',
      ],
    ]);
    await opened;
  });

  it("a bad line from a 'headers' listener refuses that upgrade with 500 and reaches 'error'", async () => {
    const server = track(new WebSocketServer({ host: '127.0.0.1', port: 0 }));
    const errors = [];
    server.on('error', (error) => errors.push(error.code));
    let lines = ['Bad\r\nInjected: 1'];
    server.on('headers', (response) => response.push(...lines));
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${server.address().port}`;
    expect((await refusedUpgrade(url))[0]).toBe(500);
    expect(errors).toEqual(['ERR_HYPHAE_INVALID_HEADER']);
    lines = ['no colon'];
    expect((await refusedUpgrade(url))[0]).toBe(500);
    lines = [];
    clients.push(await connect(url));
    expect(errors).toEqual(['ERR_HYPHAE_INVALID_HEADER', 'ERR_HYPHAE_INVALID_HEADER']);
  });

  it("ws's maxPayload option is maxPayloadLength", async () => {
    const server = await started({ maxPayload: 16, clientTracking: true });
    const socket = await client(server);
    const ended = closed(socket);
    socket.send('x'.repeat(17));
    expect((await ended)[0]).toBe(1009);
    expect(() => new WebSocketServer({ maxPayload: 16, maxPayloadLength: 32 })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('"maxPayload"') }),
    );
  });
});

describe("Bun's socket names", () => {
  const servers = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('sendText, sendBinary, cork, getBufferedAmount and subscriptions', async () => {
    const results = [];
    const server = new WebSocketServer({
      host: '127.0.0.1',
      open(ws) {
        ws.subscribe('room');
        const corked = ws.cork((socket) => {
          expect(socket).toBe(ws);
          return [socket.sendText(Buffer.from('as text')), socket.sendBinary('as binary')];
        });
        results.push(corked, ws.getBufferedAmount() === ws.bufferedAmount, ws.subscriptions);
        expect(() => ws.cork('x')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_HANDLER' }));
      },
    });
    servers.push(server);
    const { port } = await server.listen();
    // Listening from the start: the frames sent by `open` may come in the
    // same read as the 101, and ws emits them before an `await` on 'open'
    // resumes.
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    const [text, binary] = await new Promise((resolve) => {
      const got = [];
      socket.on('message', (data, isBinary) => {
        got.push([data.toString(), isBinary]);
        if (got.length === 2) resolve(got);
      });
    });
    expect(text).toEqual(['as text', false]);
    expect(binary).toEqual(['as binary', true]);
    expect(results).toEqual([[9, 11], true, ['room']]);
    socket.terminate();
  });
});

import WebSocket from 'ws';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { closed, connect, nextMessage, refusedUpgrade, startEchoServer } from './helpers/clients.js';
import { rawConnect } from './helpers/raw-client.js';

describe('upgrade limits and negotiation', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 100 });
  });

  it('allowedOrigins: other origins get 403, listed ones (any case) connect', async () => {
    fixture = await startEchoServer({ allowedOrigins: ['https://app.example'] });
    expect((await refusedUpgrade(fixture.url, { origin: 'https://evil.example' }))[0]).toBe(403);
    expect((await refusedUpgrade(fixture.url))[0]).toBe(403); // no Origin at all
    const client = await connect(fixture.url, { origin: 'https://APP.example' });
    client.send('in');
    expect((await nextMessage(client))[0].toString()).toBe('in');
    client.terminate();
  });

  it('maxConnections: the next upgrade gets 503 until one leaves', async () => {
    fixture = await startEchoServer({ maxConnections: 2 });
    const a = await connect(fixture.url);
    const b = await connect(fixture.url, { localAddress: '127.0.0.2' });
    expect((await refusedUpgrade(fixture.url, { localAddress: '127.0.0.3' }))[0]).toBe(503);
    const gone = closed(a);
    a.close();
    await gone;
    // The slot is free once the server has finished the connection.
    await expect.poll(async () => {
      const probe = new WebSocket(fixture.url);
      const [outcome] = await Promise.race([once(probe, 'open').then(() => ['open']), once(probe, 'unexpected-response').then(() => ['refused'])]);
      probe.terminate();
      return outcome;
    }).toBe('open');
    b.terminate();
  });

  it('maxConnectionsPerIp: a second connection from one address gets 429, another address connects', async () => {
    fixture = await startEchoServer({ maxConnectionsPerIp: 1 });
    const first = await connect(fixture.url, { localAddress: '127.0.0.1' });
    expect((await refusedUpgrade(fixture.url, { localAddress: '127.0.0.1' }))[0]).toBe(429);
    const other = await connect(fixture.url, { localAddress: '127.0.0.4' });
    other.send('ok');
    expect((await nextMessage(other))[0].toString()).toBe('ok');
    first.terminate();
    other.terminate();
  });

  it('protocols: picks our preferred protocol among those offered, visible on both sides', async () => {
    fixture = await startEchoServer({ protocols: ['json', 'msgpack'] });
    const connection = once(fixture.server, 'connection');
    const client = await connect(fixture.url, ['msgpack', 'json']);
    const [ws] = await connection;
    expect(client.protocol).toBe('json');
    expect(ws.protocol).toBe('json');
    client.terminate();
    // No protocol in common: the upgrade goes ahead without one.
    const plain = once(fixture.server, 'connection');
    const other = await connect(fixture.url);
    expect((await plain)[0].protocol).toBe('');
    other.terminate();
  });

  it('idleTimeout: a peer that never answers pings is dropped with one close; one that answers stays', async () => {
    fixture = await startEchoServer({ idleTimeout: 400 });
    const closes = [];
    fixture.server.on('connection', (ws) => ws.on('close', (code) => closes.push([ws.id, code])));
    // A client's open can precede the server's 'connection' for it: wait for
    // each one, so the next once() catches the next connection.
    const politeOpen = once(fixture.server, 'connection');
    const polite = await connect(fixture.url); // ws answers pings by itself
    await politeOpen;
    let pinged = 0;
    polite.on('ping', () => pinged++);
    const silentOpen = once(fixture.server, 'connection');
    const silent = await rawConnect(fixture.port); // never answers anything
    const [silentWs] = await silentOpen;
    const silentClosed = once(silentWs, 'close');
    await silent.ended; // the server dropped it
    expect((await silentClosed)[0]).toBe(1006);
    expect(closes).toEqual([[silentWs.id, 1006]]); // exactly one close event, and only for it
    expect(polite.readyState).toBe(WebSocket.OPEN);
    expect(pinged).toBeGreaterThan(0);
    polite.send('still here');
    expect((await nextMessage(polite))[0].toString()).toBe('still here');
    polite.terminate();
  });
});

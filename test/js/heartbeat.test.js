import WebSocket from 'ws';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startEchoServer } from './helpers/clients.js';

describe('heartbeat: pingInterval / pingTimeout', () => {
  let fixture;
  const clients = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await fixture?.server.close({ timeout: 100 });
    fixture = null;
  });

  const open = async (options) => {
    const client = new WebSocket(fixture.url, options);
    clients.push(client);
    client.on('error', () => {});
    await once(client, 'open');
    return client;
  };

  it('drops a peer that stops answering pings with one close event, and keeps one that answers', async () => {
    const closes = [];
    let opened = 0;
    let serverSawClose;
    const serverClosed = new Promise((resolve) => (serverSawClose = resolve));
    fixture = await startEchoServer({
      pingInterval: 100,
      pingTimeout: 100,
      open: (ws) => {
        ws.data = { name: `peer${++opened}` };
      },
      close: (ws, code, reason) => {
        closes.push([ws.data.name, code, reason]);
        serverSawClose();
      },
    });
    const healthy = await open();
    // ws answers pings by itself unless autoPong is off.
    const silent = await open({ autoPong: false });

    let pings = 0;
    healthy.on('ping', () => pings++);
    const silentClosed = new Promise((resolve) => silent.once('close', (code) => resolve(code)));

    expect(await silentClosed).toBe(1006);
    await serverClosed;
    expect(closes).toEqual([['peer2', 1006, 'Ping timeout']]);
    expect(fixture.server.stats().pingTimeouts).toBe(1);

    // Three more rounds: the answering peer is pinged and stays open.
    const target = pings + 3;
    await new Promise((resolve) => healthy.on('ping', () => pings >= target && resolve()));
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    expect(closes).toHaveLength(1);
    expect(fixture.server.connectionCount).toBe(1);
  });

  // The pong arrives while the JS thread is stalled (here by the test
  // itself, between the ping and the check). With sameThread the socket is
  // read on that thread, so the check must read what is waiting before it
  // judges; on an io thread the pong is read on time anyway.
  it.each([false, true])('a pong that arrived while the JS thread was stalled counts (sameThread: %s)', async (sameThread) => {
    fixture = await startEchoServer({ sameThread, pingInterval: 400, pingTimeout: 100 });
    const client = await open();
    let stalls = 0;
    // Three stalled rounds, then one more ping so the third check has run;
    // a dropped connection fails at once.
    const fourPings = new Promise((resolve, reject) => {
      client.once('close', (code, reason) => reject(new Error(`dropped: ${code} ${reason}`)));
      client.on('ping', () => {
        if (++stalls === 4) return resolve();
        // ws has written the pong already; hold the thread past the check
        // (due 100 ms after the ping), not into the next ping (400 ms).
        const until = performance.now() + 200;
        while (performance.now() < until);
      });
    });
    await fourPings;
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(fixture.server.stats().pingTimeouts).toBe(0);
  });

  it('counts any frame from the peer as an answer', async () => {
    fixture = await startEchoServer({ pingInterval: 100, pingTimeout: 100 });
    const chatty = await open({ autoPong: false });
    // Answers each ping with a message instead of a pong.
    let answered = 0;
    const fiveRounds = new Promise((resolve) =>
      chatty.on('ping', () => {
        chatty.send('still here');
        if (++answered === 5) resolve();
      }),
    );
    await fiveRounds;
    expect(chatty.readyState).toBe(WebSocket.OPEN);
    expect(fixture.server.stats().pingTimeouts).toBe(0);
  });
});

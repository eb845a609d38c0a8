// sameThread: plain connections are served on the JS thread, from the
// accept on (after their handshake, when the io threads accept: with TLS,
// deflate or idleTimeout set); connections that need Beast's stream
// (permessage-deflate here) stay on the io threads. The whole suite also runs with sameThread as the
// default (HYPHAE_SAME_THREAD=1, see package.json).
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { closed, collect, connect, nextMessage, startEchoServer } from './helpers/clients.js';

describe('sameThread', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 500 });
  });

  async function pair(options) {
    const connection = once(fixture.server, 'connection');
    const client = await connect(fixture.url, options);
    return [client, (await connection)[0]];
  }

  it('serves plain connections on the JS thread: echo, topics, publish order and the shutdown', async () => {
    fixture = await startEchoServer({ sameThread: true });
    const [a, wsA] = await pair();
    const [b, wsB] = await pair();
    expect(fixture.server.stats().sameThreadConnections).toBe(2);

    const echoes = [nextMessage(a), nextMessage(b)];
    a.send('a');
    b.send(Buffer.from([1, 2, 3]));
    expect((await echoes[0])[0].toString()).toBe('a');
    expect([...(await echoes[1])[0]]).toEqual([1, 2, 3]);

    expect(wsA.subscribe('room')).toBe(true);
    expect(wsB.subscribe('room')).toBe(true);
    expect(fixture.server.subscriberCount('room')).toBe(2);
    expect(fixture.server.stats().topics).toBe(1);
    const messages = Array.from({ length: 50 }, (_, i) => `news ${i}`);
    const inboxes = [collect(a, 51), collect(b, 51)];
    for (const text of messages) fixture.server.publish('room', text);
    // A direct send after the publishes arrives after them.
    wsA.send('after');
    wsB.send('after');
    for (const inbox of inboxes) expect(await inbox).toEqual([...messages, 'after']);

    // ws.publish excludes its sender.
    const toB = nextMessage(b);
    expect(wsA.publish('room', 'from a')).toBeGreaterThan(0);
    expect((await toB)[0].toString()).toBe('from a');

    const ends = [closed(a), closed(b)];
    await fixture.server.close();
    fixture = undefined;
    for (const end of ends) expect((await end)[0]).toBe(1001);
  });

  it('accepts and does the handshake on the JS thread too: an upgrade being decided is already there', async () => {
    for (const sameThread of [true, false]) {
      let decide;
      const asked = new Promise((resolve) => (decide = resolve));
      fixture = await startEchoServer({
        sameThread,
        upgrade: () => new Promise((verdict) => decide(verdict)),
      });
      const connection = once(fixture.server, 'connection');
      const client = new WebSocket(fixture.url);
      const verdict = await asked;
      // Not open yet, but served here: no io thread holds it.
      expect(fixture.server.stats().connections).toBe(0);
      expect(fixture.server.stats().sameThreadConnections).toBe(sameThread ? 1 : 0);
      verdict({ data: 'decided' });
      await once(client, 'open');
      expect((await connection)[0].data).toBe('decided');
      const echo = nextMessage(client);
      client.send('after the verdict');
      expect((await echo)[0].toString()).toBe('after the verdict');
      expect(fixture.server.stats().sameThreadConnections).toBe(sameThread ? 1 : 0);
      client.terminate();
      await fixture.server.close({ timeout: 500 });
      fixture = undefined;
    }
  });

  it('leaves connections that need Beast\'s stream (permessage-deflate) on the io threads', async () => {
    fixture = await startEchoServer({ sameThread: true, perMessageDeflate: true });
    const [client] = await pair({ perMessageDeflate: true });
    expect(client.extensions).toContain('permessage-deflate');
    const echo = nextMessage(client);
    client.send('x'.repeat(1000));
    expect((await echo)[0].toString()).toBe('x'.repeat(1000));
    expect(fixture.server.stats().sameThreadConnections).toBe(0);
  });

  it('is off unless asked for: every connection on an io thread', async () => {
    fixture = await startEchoServer({ sameThread: false });
    const [plain] = await pair();
    const echo = nextMessage(plain);
    plain.send('x');
    expect((await echo)[0].toString()).toBe('x');
    expect(fixture.server.stats().sameThreadConnections).toBe(0);
  });

  it('a close, a terminate and a client going away each end one JS-thread connection with one close event', async () => {
    const ends = [];
    fixture = await startEchoServer({ sameThread: true, close: (ws, code) => ends.push([ws.id, code]) });
    const [a, wsA] = await pair();
    const [b, wsB] = await pair();
    const [c, wsC] = await pair();
    expect(fixture.server.stats().sameThreadConnections).toBe(3);
    const aClosed = closed(a);
    wsA.close(4000, 'bye');
    expect(await aClosed).toEqual([4000, 'bye']);
    const bClosed = closed(b);
    wsB.terminate();
    expect((await bClosed)[0]).toBe(1006);
    const serverSawC = once(wsC, 'close');
    c.terminate();
    await serverSawC;
    await expect.poll(() => ends.length).toBe(3);
    expect(ends).toEqual(
      expect.arrayContaining([
        [wsA.id, 4000],
        [wsB.id, 1006],
        [wsC.id, 1006],
      ]),
    );
    expect(fixture.server.stats().sameThreadConnections).toBe(0);
  });
});

import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, connect, nextMessage, startEchoServer } from './helpers/clients.js';

describe('topics', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  // n clients and their server-side sockets, in the same order.
  async function clients(n) {
    const pairs = [];
    for (let i = 0; i < n; i++) {
      const connection = once(fixture.server, 'connection');
      const client = await connect(fixture.url);
      pairs.push([client, (await connection)[0]]);
    }
    return pairs;
  }

  it('server.publish reaches subscribers only; subscribe then publish in one tick delivers', async () => {
    fixture = await startEchoServer();
    const [[a, wsA], [b, wsB], [c, wsC]] = await clients(3);
    const cGot = [];
    c.on('message', (data) => cGot.push(data.toString()));
    expect(wsA.subscribe('news')).toBe(true);
    expect(wsA.subscribe('news')).toBe(false); // already
    wsB.subscribe('news');
    const inboxes = [nextMessage(a), nextMessage(b)];
    expect(fixture.server.publish('news', 'headline')).toBe('headline'.length + 2);
    for (const inbox of inboxes) expect((await inbox)[0].toString()).toBe('headline');
    expect(fixture.server.publish('nobody-listens', 'x')).toBe(0);
    // c was never subscribed: a direct message it gets next proves it got nothing before.
    const direct = nextMessage(c);
    fixture.server.send(wsC.id, 'direct');
    expect((await direct)[0].toString()).toBe('direct');
    expect(cGot).toEqual(['direct']);
  });

  it('ws.publish excludes the sender; sends and publishes keep their order per connection', async () => {
    fixture = await startEchoServer();
    const [[a, wsA], [b, wsB]] = await clients(2);
    wsA.subscribe('room');
    wsB.subscribe('room');
    const aGot = [];
    a.on('message', (data) => aGot.push(data.toString()));
    const bMessages = collect(b, 4);
    wsB.send('1 send');
    fixture.server.publish('room', '2 publish');
    wsB.send('3 send');
    expect(wsA.publish('room', '4 from a')).toBeGreaterThan(0);
    expect(await bMessages).toEqual(['1 send', '2 publish', '3 send', '4 from a']);
    // a got the server's publish but not its own: the marker sent after it
    // arrives second.
    const marker = new Promise((resolve) => a.on('message', (data) => String(data) === 'marker' && resolve()));
    wsA.send('marker');
    await marker;
    expect(aGot).toEqual(['2 publish', 'marker']);
  });

  it('unsubscribe stops delivery; close removes a connection from every topic', async () => {
    fixture = await startEchoServer();
    const [[a, wsA], [b, wsB]] = await clients(2);
    for (const topic of ['t1', 't2', 't3']) {
      wsA.subscribe(topic);
      wsB.subscribe(topic);
    }
    expect(wsA.topics.sort()).toEqual(['t1', 't2', 't3']);
    expect(wsA.unsubscribe('t2')).toBe(true);
    expect(wsA.unsubscribe('t2')).toBe(false);
    expect(wsA.isSubscribed('t2')).toBe(false);
    const aGot = [];
    a.on('message', (data) => aGot.push(data.toString()));
    const bGot = collect(b, 1);
    fixture.server.publish('t2', 'only b');
    expect(await bGot).toEqual(['only b']);
    const marker = nextMessage(a);
    fixture.server.publish('t1', 'both');
    await marker;
    expect(aGot).toEqual(['both']);
    expect(fixture.server.subscriberCount('t1')).toBe(2);

    const closedB = once(wsB, 'close');
    b.close();
    await closedB;
    expect(wsB.topics).toEqual([]);
    expect(fixture.server.subscriberCount('t1')).toBe(1);
    expect(fixture.server.subscriberCount('t2')).toBe(0);
    expect(fixture.server.topics().sort()).toEqual(['t1', 't3']);
    a.terminate();
  });

  it('subscriberCount stays exact through random churn', async () => {
    fixture = await startEchoServer();
    const pairs = await clients(60);
    const model = new Map(); // topic -> Set(id)
    let seed = 42;
    const random = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let step = 0; step < 3000; step++) {
      const [, ws] = pairs[random(pairs.length)];
      const topic = `topic-${random(8)}`;
      if (!model.has(topic)) model.set(topic, new Set());
      if (random(2)) {
        ws.subscribe(topic);
        model.get(topic).add(ws.id);
      } else {
        ws.unsubscribe(topic);
        model.get(topic).delete(ws.id);
      }
    }
    // Close a third of the connections.
    const closing = pairs.slice(0, 20);
    await Promise.all(
      closing.map(([client, ws]) => {
        const done = once(ws, 'close');
        client.close();
        for (const members of model.values()) members.delete(ws.id);
        return done;
      }),
    );
    for (const [topic, members] of model) expect(fixture.server.subscriberCount(topic)).toBe(members.size);
    expect(fixture.server.topics().sort()).toEqual([...model].filter(([, m]) => m.size > 0).map(([t]) => t).sort());
    // The core agrees once it has applied everything: a publish per topic
    // reaches exactly the modelled members.
    for (const [topic, members] of model) {
      if (members.size === 0) continue;
      const receivers = pairs.filter(([, ws]) => members.has(ws.id)).map(([client]) => nextMessage(client));
      fixture.server.publish(topic, topic);
      for (const got of await Promise.all(receivers)) expect(got[0].toString()).toBe(topic);
    }
    const stats = fixture.server.stats();
    expect(stats.subscriptions).toBe([...model.values()].reduce((n, m) => n + m.size, 0));
    for (const [client] of pairs.slice(20)) client.terminate();
  });

  it('rejects topics that are not non-empty strings', async () => {
    fixture = await startEchoServer();
    const [[client, ws]] = await clients(1);
    for (const bad of ['', 7, null, undefined]) {
      expect(() => ws.subscribe(bad)).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_TOPIC' }));
      expect(() => fixture.server.publish(bad, 'x')).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_TOPIC' }));
    }
    client.terminate();
  });
});

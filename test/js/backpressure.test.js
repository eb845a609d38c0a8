import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, nextMessage, startEchoServer } from './helpers/clients.js';
import { buildFrame, rawConnect } from './helpers/raw-client.js';

const MiB = 1024 * 1024;

// Resident memory after a full collection: what is really kept.
function rssMiB() {
  globalThis.gc?.();
  return process.memoryUsage().rss / MiB;
}

describe('outbound backpressure', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 100 });
  });

  it('send() reports >0, then -1 over maxBackpressure, then 0 (dropped); drain fires when it empties', async () => {
    const drains = [];
    fixture = await startEchoServer({ maxBackpressure: 4 * MiB, drain: (ws) => drains.push(ws.id) });
    const connection = once(fixture.server, 'connection');
    const raw = await rawConnect(fixture.port);
    const [ws] = await connection;
    raw.socket.pause();
    const chunk = Buffer.alloc(MiB);
    const statuses = [];
    // 40 MiB against a 4 MiB limit: the kernel's socket buffers absorb a
    // few MiB while this loop runs, the rest must be refused.
    for (let i = 0; i < 40; i++) statuses.push(ws.send(chunk));
    expect(statuses[0]).toBe(MiB + 10);
    expect(statuses).toContain(-1);
    const dropped = statuses.filter((status) => status === 0).length;
    expect(dropped).toBeGreaterThan(20);
    expect(statuses.every((status) => status === 0 || status === -1 || status === MiB + 10)).toBe(true);
    // A send is accepted only below the limit: the queue never holds more
    // than the limit plus one message.
    expect(ws.bufferedAmount).toBeLessThanOrEqual(5 * MiB + 100);
    expect(fixture.server.stats().dropped).toBe(dropped);

    const drained = once(ws, 'drain');
    raw.socket.resume();
    await drained;
    expect(drains).toEqual([ws.id]);
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.send('after drain')).toBeGreaterThan(0);
    raw.socket.destroy();
  });

  it('closeOnBackpressureLimit closes a slow reader with 1008', async () => {
    fixture = await startEchoServer({ maxBackpressure: 512 * 1024, closeOnBackpressureLimit: true });
    const connection = once(fixture.server, 'connection');
    const raw = await rawConnect(fixture.port);
    const [ws] = await connection;
    raw.socket.pause();
    ws.subscribe('feed');
    const closed = once(ws, 'close');
    // Enough to fill the kernel's buffers and then the limit.
    for (let i = 0; i < 64; i++) fixture.server.publish('feed', Buffer.alloc(256 * 1024));
    expect(await closed).toEqual([1008, 'Backpressure limit exceeded']);
    raw.socket.destroy();
  });

  it('a reader that stops reading while 50 MiB is published: RSS stays bounded, others keep receiving', async () => {
    const LIMIT = 2 * MiB;
    fixture = await startEchoServer({ maxBackpressure: LIMIT });
    const slowOpen = once(fixture.server, 'connection');
    const slow = await rawConnect(fixture.port);
    const [slowWs] = await slowOpen;
    slow.socket.pause();
    const fastOpen = once(fixture.server, 'connection');
    let fastFrames = 0;
    let onFast = null;
    const fast = await rawConnect(fixture.port, '/', {
      onFrame: () => {
        fastFrames++;
        onFast?.();
      },
    });
    const [fastWs] = await fastOpen;
    slowWs.subscribe('firehose');
    fastWs.subscribe('firehose');

    const before = rssMiB();
    let peak = before;
    const chunk = Buffer.alloc(MiB, 1);
    for (let i = 0; i < 50; i++) {
      const arrived = new Promise((resolve) => (onFast = resolve));
      fixture.server.publish('firehose', chunk);
      await arrived; // pace by the fast reader: it must never fall behind
      peak = Math.max(peak, rssMiB());
    }
    expect(fastFrames).toBe(50);
    // The slow reader holds at most LIMIT (plus one message) in the core; the
    // rest of the 50 MiB was skipped for it, not queued.
    expect(slowWs.bufferedAmount).toBeLessThanOrEqual(LIMIT + MiB + 10);
    expect(fixture.server.stats().dropped).toBeGreaterThan(40);
    const growth = peak - before;
    console.log(`slow reader: RSS grew ${growth.toFixed(1)} MiB while 50 MiB was published`);
    expect(growth).toBeLessThan(24);
    slow.socket.destroy();
    fast.socket.destroy();
  });
});

// Both modes: with io threads, a socket stops being read once the queue
// for JS passes the high-water mark; on the JS thread (sameThread), sockets
// are read only between handler runs, so the queue never builds up.
describe.each([false, true])('inbound backpressure (sameThread: %s)', (sameThread) => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 100 });
  });

  it('a client flooding while the handler is slow: RSS bounded, no message lost for a well-behaved client', async () => {
    const FLOOD_MESSAGES = 1200;
    const FLOOD_SIZE = 60 * 1024; // 70 MiB in all
    let flooded = 0;
    const politeSeen = [];
    fixture = await startEchoServer({
      sameThread,
      inboundHighWaterMark: 2 * MiB,
      message(ws, data, isBinary) {
        if (isBinary) {
          flooded++;
          const until = performance.now() + 1; // a slow handler: 1 ms per flood message
          while (performance.now() < until);
          return;
        }
        politeSeen.push(data);
        ws.send(data);
      },
    });
    const polite = await connect(fixture.url);

    const before = rssMiB();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
    // The flooder runs in its own process, so it floods at full speed while
    // this thread is busy in the slow handler.
    const flooder = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/flooder.js', import.meta.url)), String(fixture.port), String(FLOOD_MESSAGES), String(FLOOD_SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const flooding = once(flooder, 'exit');
    // Meanwhile a well-behaved client sends 100 numbered messages.
    const replies = [];
    const allReplies = new Promise((resolve) =>
      polite.on('message', (data) => replies.push(String(data)) === 100 && resolve()),
    );
    for (let i = 0; i < 100; i++) polite.send(`polite ${i}`);
    expect((await flooding)[0]).toBe(0);
    await allReplies;
    await expect.poll(() => flooded, { timeout: 30_000, interval: 50 }).toBe(FLOOD_MESSAGES);
    clearInterval(sampler);

    expect(replies).toEqual(Array.from({ length: 100 }, (_, i) => `polite ${i}`));
    expect(politeSeen).toEqual(replies);
    if (sameThread) {
      expect(fixture.server.stats().readsPaused).toBe(0);
    } else {
      expect(fixture.server.stats().readsPaused).toBeGreaterThan(0);
    }
    const growth = peak - before;
    console.log(`flood: RSS grew ${growth.toFixed(1)} MiB while 70 MiB arrived faster than JS handled it`);
    expect(growth).toBeLessThan(40);
    polite.terminate();
  });
});

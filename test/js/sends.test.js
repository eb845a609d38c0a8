import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeServer } from '../../lib/native.js';
import { connect, nextMessage, startEchoServer } from './helpers/clients.js';
import { rawConnect } from './helpers/raw-client.js';

describe('sending by id', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  it('returns bytes queued for a known id and 0 for an unknown one', async () => {
    fixture = await startEchoServer();
    const connection = once(fixture.server, 'connection');
    const client = await connect(fixture.url);
    const [ws] = await connection;
    // 5 payload bytes + 2 header bytes on the wire.
    expect(fixture.server.send(ws.id, 'hello')).toBe(7);
    expect((await nextMessage(client))[0].toString()).toBe('hello');
    expect(fixture.server.send(987654321, 'nobody')).toBe(0);
    expect(fixture.server.send(-1, 'nobody')).toBe(0);
    expect(fixture.server.send('not-an-id', 'nobody')).toBe(0);
    client.send('still served');
    expect((await nextMessage(client))[0].toString()).toBe('still served');
    client.terminate();
  });

  it('gives a coded error for data that cannot be sent', async () => {
    fixture = await startEchoServer();
    const connection = once(fixture.server, 'connection');
    const client = await connect(fixture.url);
    const [ws] = await connection;
    for (const bad of [42, { a: 1 }, null, undefined, Symbol('x')]) {
      expect(() => ws.send(bad)).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_DATA' }));
      expect(() => fixture.server.send(ws.id, bad)).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_DATA' }));
    }
    client.terminate();
  });

  it('the native layer answers bogus ids with 0 instead of crashing', async () => {
    const native = new NativeServer({ host: '127.0.0.1', port: 0 }, () => {});
    expect(native.send(1, 'x', false)).toBe(0); // not listening yet
    native.listen();
    for (const id of [0, -5, 2 ** 60, Number.NaN, Infinity, '7', null]) {
      expect(native.send(id, 'x', false)).toBe(0);
      expect(native.end(id, 1000, '')).toBe(false);
    }
    // A well-formed id that belongs to no connection JS has seen open.
    expect(native.send(64 * 12345, 'x', false)).toBe(0);
    expect(native.bufferedAmount(64 * 12345)).toBe(0);
    const stopped = new Promise((resolve) => {
      native.close(0);
      // The dispatcher given above ignores events; poll the native state.
      const timer = setInterval(() => {
        if (native.address() === null) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await stopped;
  });

  it('bufferedAmount counts what a slow reader has not taken yet, and drains to 0', async () => {
    fixture = await startEchoServer({ maxBackpressure: 0 }); // no limit: this test is about counting
    const connection = once(fixture.server, 'connection');
    const raw = await rawConnect(fixture.port);
    const [ws] = await connection;
    raw.socket.pause(); // stop reading: the kernel buffers fill, then the core's queue
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let queued = 0;
    for (let i = 0; i < 20; i++) queued += ws.send(chunk);
    // Counted as soon as send() returns, before the io thread has seen it.
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    expect(ws.bufferedAmount).toBeLessThanOrEqual(queued);
    expect(queued).toBe(20 * (1024 * 1024 + 10));
    raw.socket.resume();
    await expect.poll(() => ws.bufferedAmount, { timeout: 20_000 }).toBe(0);
    raw.socket.destroy();
    await once(ws, 'close');
    expect(ws.bufferedAmount).toBe(0);
  });
});

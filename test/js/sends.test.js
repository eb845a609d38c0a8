import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeServer } from '../../lib/native.js';
import { connect, nextMessage, startEchoServer } from './helpers/clients.js';

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
    // A well-formed id that belongs to nobody: queued, then dropped by its io thread.
    expect(native.send(64 * 12345, 'x', false)).toBeGreaterThan(0);
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
});

import { afterEach, describe, expect, it } from 'vitest';
import { startEchoServer } from './helpers/clients.js';
import { buildFrame, rawConnect } from './helpers/raw-client.js';

describe('fragmentation', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  it('has no fragment-count limit: 65,536 one-byte fragments make one message', async () => {
    const received = [];
    fixture = await startEchoServer({ message: (ws, data) => received.push(data) });
    const raw = await rawConnect(fixture.port);
    const FRAGMENTS = 65_536;
    const frames = [];
    for (let i = 0; i < FRAGMENTS; i++) {
      const opcode = i === 0 ? 0x1 : 0x0; // text, then continuations
      frames.push(buildFrame(opcode, Buffer.from([0x61 + (i % 26)]), { fin: i === FRAGMENTS - 1 }));
    }
    raw.socket.write(Buffer.concat(frames));
    await expect.poll(() => received.length, { timeout: 30_000 }).toBe(1);
    expect(received[0]).toHaveLength(FRAGMENTS);
    expect(received[0].slice(0, 28)).toBe('abcdefghijklmnopqrstuvwxyzab');
    raw.socket.destroy();
  });

  it('still enforces maxPayloadLength over the fragments (1009)', async () => {
    const closes = [];
    fixture = await startEchoServer({ maxPayloadLength: 1000, close: (ws, code) => closes.push(code) });
    const raw = await rawConnect(fixture.port);
    const frames = [];
    for (let i = 0; i < 20; i++) frames.push(buildFrame(i === 0 ? 0x2 : 0x0, Buffer.alloc(100), { fin: i === 19 }));
    raw.socket.write(Buffer.concat(frames));
    const frame = await raw.nextFrame();
    expect(frame.closeCode).toBe(1009);
    await expect.poll(() => closes).toEqual([1009]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { connect, nextMessage, startEchoServer } from './helpers/clients.js';
import { rawConnect } from './helpers/raw-client.js';

const TEXT = 0x1;

describe('protocol violations', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  async function expectClosedWith(code, badFrame) {
    const closes = [];
    const errors = [];
    fixture = await startEchoServer({
      close: (ws, closeCode) => closes.push(closeCode),
      error: (ws, error) => errors.push(error.code),
    });
    const bystander = await connect(fixture.url);
    const raw = await rawConnect(fixture.port);
    expect(raw.status).toBe(101);

    badFrame(raw);
    const frame = await raw.nextFrame();
    expect(frame.opcode).toBe(0x8);
    expect(frame.closeCode).toBe(code);
    await raw.ended;
    await expect.poll(() => closes).toEqual([code]);
    expect(errors).toEqual(['ERR_HYPHAE_PROTOCOL']);

    // The other client is untouched.
    bystander.send('still here');
    expect((await nextMessage(bystander))[0].toString()).toBe('still here');
    bystander.terminate();
  }

  it('closes a client that sends an unmasked frame with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(TEXT, Buffer.from('no mask'), { mask: false }));
  });

  it('closes a client that sends invalid UTF-8 text with 1007', async () => {
    await expectClosedWith(1007, (raw) => raw.send(TEXT, Buffer.from([0x68, 0x69, 0xff, 0xfe])));
  });

  it('closes a client that sends a reserved opcode with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(0x3, Buffer.from('??')));
  });

  it('closes a client whose message exceeds maxPayloadLength with 1009', async () => {
    const closes = [];
    fixture = await startEchoServer({ maxPayloadLength: 1000, close: (ws, code) => closes.push(code) });
    const raw = await rawConnect(fixture.port);
    raw.send(0x2, Buffer.alloc(1001));
    const frame = await raw.nextFrame();
    expect(frame.closeCode).toBe(1009);
    await expect.poll(() => closes).toEqual([1009]);
  });

  it('a valid message from the raw client is echoed (the helper itself works)', async () => {
    fixture = await startEchoServer();
    const raw = await rawConnect(fixture.port);
    raw.send(TEXT, Buffer.from('plain'));
    const frame = await raw.nextFrame();
    expect(frame.opcode).toBe(TEXT);
    expect(frame.payload.toString()).toBe('plain');
    raw.socket.destroy();
  });
});

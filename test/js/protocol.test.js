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

  it('closes a client that sets a reserved bit (no extension negotiated) with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(0x40 | TEXT, Buffer.from('rsv1')));
  });

  it('closes a client that fragments a control frame with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(0x9, Buffer.from('ping'), { fin: false }));
  });

  it('closes a client that sends a control frame over 125 bytes with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(0x9, Buffer.alloc(126)));
  });

  it('closes a client that sends a continuation with no message started with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(0x0, Buffer.from('orphan')));
  });

  it('closes a client that starts a new message inside a fragmented one with 1002', async () => {
    await expectClosedWith(1002, (raw) => {
      raw.send(TEXT, Buffer.from('first '), { fin: false });
      raw.send(TEXT, Buffer.from('second'));
    });
  });

  it('closes a client that announces a 2^63-byte frame with 1009, before reading any of it', async () => {
    await expectClosedWith(1009, (raw) =>
      raw.socket.write(Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])),
    );
  });

  it('closes a client whose UTF-8 is split invalidly across fragments with 1007', async () => {
    // 0xE2 0x82 starts a 3-byte sequence; the next fragment does not continue it.
    await expectClosedWith(1007, (raw) => {
      raw.send(TEXT, Buffer.from([0x61, 0xe2, 0x82]), { fin: false });
      raw.send(0x0, Buffer.from([0x41]));
    });
  });

  it('closes a client that sends a one-byte close payload with 1002', async () => {
    await expectClosedWith(1002, (raw) => raw.send(0x8, Buffer.from([0x03])));
  });

  it('closes a client that sends a close code no endpoint may send with 1002', async () => {
    const frame = Buffer.alloc(2);
    frame.writeUInt16BE(1005);
    await expectClosedWith(1002, (raw) => raw.send(0x8, frame));
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

  it('joins fragments whose UTF-8 sequence spans them, answering a ping sent in between', async () => {
    fixture = await startEchoServer();
    const raw = await rawConnect(fixture.port);
    const euro = Buffer.from('€'); // e2 82 ac
    raw.send(TEXT, Buffer.concat([Buffer.from('price '), euro.subarray(0, 2)]), { fin: false });
    raw.send(0x9, Buffer.from('between'));
    raw.send(0x0, Buffer.concat([euro.subarray(2), Buffer.from('5')]));
    const pong = await raw.nextFrame();
    expect(pong.opcode).toBe(0xa);
    expect(pong.payload.toString()).toBe('between');
    const echoed = await raw.nextFrame();
    expect(echoed.opcode).toBe(TEXT);
    expect(echoed.payload.toString()).toBe('price €5');
    raw.socket.destroy();
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

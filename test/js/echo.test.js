import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, connect, nextMessage, startEchoServer } from './helpers/clients.js';

const SIZES = [0, 125, 126, 64 * 1024, 1024 * 1024];

function pattern(size, seed) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

describe('echo through a JS handler', () => {
  let fixture;
  let client;
  afterEach(async () => {
    client?.terminate();
    await fixture?.server.close();
  });

  it.each(SIZES)('binary messages of %i bytes come back byte-exact', async (size) => {
    fixture = await startEchoServer();
    client = await connect(fixture.url);
    const payload = pattern(size, size & 0xff);
    client.send(payload);
    const [data, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect(data.length).toBe(size);
    expect(Buffer.compare(data, payload)).toBe(0);
  });

  it.each(SIZES)('text messages of %i bytes come back as the same text', async (size) => {
    const seen = [];
    fixture = await startEchoServer({
      message(ws, data, isBinary) {
        seen.push([typeof data, isBinary]);
        ws.send(data, isBinary);
      },
    });
    client = await connect(fixture.url);
    // Multi-byte characters make sure sizes are counted in UTF-8 bytes.
    const text = 'añ€😀'.repeat(Math.ceil(size / 10) + 1).slice(0, size);
    client.send(text);
    const [data, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(false);
    expect(data.toString('utf8')).toBe(text);
    expect(seen).toEqual([['string', false]]);
  });

  it('hands the handler the exact string, ASCII or not, wherever the first non-ASCII byte is', async () => {
    // ASCII text is made as Latin-1 (a copy) and the rest through V8's
    // UTF-8 decoder: each side of that choice, the 8-byte scan's edges included.
    const texts = ['', 'a', '\x7f', 'plain ascii text!', 'x'.repeat(200)];
    for (let at = 0; at <= 17; at++) texts.push(`${'y'.repeat(at)}é${'z'.repeat(3)}`);
    texts.push('\u0080', 'ÿ', '😀', `${'q'.repeat(15)}😀`);
    const received = [];
    let allReceived;
    const done = new Promise((resolve) => (allReceived = resolve));
    fixture = await startEchoServer({
      message(ws, data) {
        received.push(data);
        if (received.length === texts.length) allReceived();
      },
    });
    client = await connect(fixture.url);
    for (const text of texts) client.send(text);
    await done;
    expect(received).toEqual(texts);
  });

  it('delivers through per-connection EventEmitter listeners as well', async () => {
    fixture = await startEchoServer({ message: undefined });
    fixture.server.on('connection', (ws, request) => {
      ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${request.url}:${data}`));
    });
    client = await connect(`${fixture.url}/room?x=1`);
    client.send('hi');
    const [data] = await nextMessage(client);
    expect(data.toString()).toBe('/room?x=1:hi');
  });

  it('sends ArrayBuffer, TypedArray and DataView payloads as binary', async () => {
    fixture = await startEchoServer({ message: undefined });
    fixture.server.on('connection', (ws) => {
      const bytes = Uint8Array.from([1, 2, 3, 4]);
      ws.send(bytes.buffer);
      ws.send(new Uint16Array([0x0201, 0x0403]));
      ws.send(new DataView(bytes.buffer, 1, 2));
      ws.send(Buffer.from('as text'), false);
      // Wider elements, viewed from an offset: byteLength, not length.
      ws.send(new Float64Array([1.5, 2.5, 3.5]).subarray(1, 2));
    });
    // Listening from the start: the server sends as it opens, so the
    // messages may come in the same read as the 101 response.
    client = new WebSocket(fixture.url);
    const received = await collect(client, 5);
    expect([...received[0]]).toEqual([1, 2, 3, 4]);
    expect([...received[1]]).toEqual([1, 2, 3, 4]);
    expect([...received[2]]).toEqual([2, 3]);
    expect(received[3]).toBe('as text');
    expect([...received[4]]).toEqual([...new Uint8Array(new Float64Array([2.5]).buffer)]);
  });
});

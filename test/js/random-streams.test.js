// Seeded random frame streams through a real socket: valid ones, written in
// random pieces, must be echoed exactly; damaged ones must end in one close
// with a code RFC 6455 allows, and leave the server serving. (The parser's
// exact verdicts on damaged input are checked against a reference decoder in
// test/native/frame_parser_fuzz_test.cpp.)
import { afterEach, describe, expect, it } from 'vitest';
import { connect, nextMessage, startEchoServer } from './helpers/clients.js';
import { buildFrame, rawConnect } from './helpers/raw-client.js';

const TEXT = 0x1;
const BINARY = 0x2;
const PING = 0x9;
const PONG = 0xa;
const CLOSE = 0x8;

// mulberry32: small, fast and the same on every run for a seed.
function randomFrom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (bound) => Math.floor(next() * bound);
  const bytes = (count) => Buffer.from(Array.from({ length: count }, () => below(256)));
  // Code points of every UTF-8 length, surrogates left out.
  const text = (count) => {
    const points = [];
    for (let length = 0; length < count; ) {
      const kind = below(4); // the point's UTF-8 length, less one
      if (kind === 0) points.push(0x20 + below(0x5f));
      else if (kind === 1) points.push(0x80 + below(0x780));
      else if (kind === 2) points.push(0xe000 + below(0x2000));
      else points.push(0x10000 + below(0x100000));
      length += kind + 1;
    }
    let out = '';
    for (let i = 0; i < points.length; i += 8192) out += String.fromCodePoint(...points.slice(i, i + 8192));
    return Buffer.from(out);
  };
  // Mostly small, some in the 16-bit length form, a few in the 64-bit one.
  const size = () => {
    const pick = below(100);
    return pick < 70 ? below(126) : pick < 97 ? below(5000) : 65536 + below(20000);
  };
  return { below, bytes, text, size };
}

// Messages cut into fragments at arbitrary bytes (text sequences span
// them), with pings between fragments.
function validStream(random, messages) {
  const frames = [];
  const sent = [];
  const pings = [];
  for (let m = 0; m < messages; m++) {
    const binary = random.below(2) === 0;
    const payload = binary ? random.bytes(random.size()) : random.text(random.size());
    const fragments = random.below(10) < 6 ? 1 : 2 + random.below(4);
    let at = 0;
    for (let f = 0; f < fragments; f++) {
      const last = f === fragments - 1;
      const take = last ? payload.length - at : random.below(payload.length - at + 1);
      frames.push(buildFrame(f === 0 ? (binary ? BINARY : TEXT) : 0, payload.subarray(at, at + take), { fin: last }));
      at += take;
      if (!last && random.below(4) === 0) {
        const ping = random.bytes(random.below(126));
        pings.push(ping);
        frames.push(buildFrame(PING, ping));
      }
    }
    sent.push({ opcode: binary ? BINARY : TEXT, payload });
  }
  return { bytes: Buffer.concat(frames), sent, pings };
}

// Writes the stream in random pieces, so frames reach the server cut anywhere.
function writeInPieces(socket, random, bytes) {
  socket.setNoDelay(true);
  for (let at = 0; at < bytes.length; ) {
    const piece = 1 + random.below(random.below(2) === 0 ? 16 : 4096);
    socket.write(bytes.subarray(at, at + piece));
    at += piece;
  }
}

// Flipped bits, bytes put in or cut out, and sometimes a cut-off end.
function damage(random, bytes) {
  let out = Buffer.from(bytes);
  const edits = 1 + random.below(3);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = random.below(out.length);
    const kind = random.below(4);
    if (kind < 2) out[at] ^= 1 << random.below(8);
    else if (kind === 2) out = Buffer.concat([out.subarray(0, at), random.bytes(1 + random.below(6)), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + random.below(6))]);
  }
  if (random.below(5) === 0) out = out.subarray(0, random.below(out.length));
  return out;
}

// Codes a peer may put in a close frame (RFC 6455 7.4, IANA's registry).
const receivable = (code) => (code >= 3000 && code <= 4999) || (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code));

describe('random frame streams', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  it('echoes valid streams written in random pieces exactly, and answers every ping', async () => {
    fixture = await startEchoServer();
    for (let seed = 1; seed <= 12; seed++) {
      const random = randomFrom(seed);
      const { bytes, sent, pings } = validStream(random, 5 + random.below(25));
      const raw = await rawConnect(fixture.port);
      writeInPieces(raw.socket, random, bytes);
      const echoed = [];
      const pongs = [];
      while (echoed.length < sent.length || pongs.length < pings.length) {
        const frame = await raw.nextFrame();
        if (frame.opcode === PONG) pongs.push(frame.payload);
        else if (frame.opcode === TEXT || frame.opcode === BINARY) echoed.push(frame);
        else throw new Error(`seed ${seed}: unexpected frame ${frame.opcode} (close code ${frame.closeCode})`);
      }
      expect(echoed.map((frame) => frame.opcode), `seed ${seed}`).toEqual(sent.map((message) => message.opcode));
      for (let i = 0; i < sent.length; i++) {
        expect(echoed[i].payload.equals(sent[i].payload), `seed ${seed}, message ${i}`).toBe(true);
      }
      expect(pongs.map((payload) => payload.toString('hex')), `seed ${seed}`).toEqual(pings.map((payload) => payload.toString('hex')));
      raw.socket.destroy();
      await raw.ended;
    }
  });

  it('ends each damaged stream with one close and a code RFC 6455 allows, and keeps serving', async () => {
    const closes = new Map();
    let closed = null;
    fixture = await startEchoServer({
      close: (ws, code) => {
        closes.set(ws.id, [...(closes.get(ws.id) ?? []), code]);
        closed?.();
      },
    });
    const serverSide = [];
    fixture.server.on('connection', (ws) => serverSide.push(ws.id));
    const verdicts = new Set();
    for (let seed = 1; seed <= 60; seed++) {
      const random = randomFrom(1000 + seed);
      const { bytes } = validStream(random, 1 + random.below(6));
      const raw = await rawConnect(fixture.port);
      const closedOnServer = new Promise((resolve) => (closed = resolve));
      const frames = [];
      raw.socket.on('error', () => {}); // a reset from the server while writing: the close tells
      writeInPieces(raw.socket, random, damage(random, bytes));
      // Half-closed: a stream cut off mid-frame ends too (1006), never hangs.
      raw.socket.end();
      for (;;) {
        let frame;
        try {
          frame = await raw.nextFrame();
        } catch {
          break; // closed without a close frame (the client's end came first)
        }
        frames.push(frame);
        if (frame.opcode === CLOSE) break;
      }
      await raw.ended;
      await closedOnServer;
      const id = serverSide.at(-1);
      expect(closes.get(id), `seed ${1000 + seed}`).toHaveLength(1);
      const [code] = closes.get(id);
      expect([1002, 1005, 1006, 1007, 1009].includes(code) || receivable(code), `seed ${1000 + seed}: code ${code}`).toBe(true);
      const closeFrame = frames.find((frame) => frame.opcode === CLOSE);
      if (closeFrame && closeFrame.closeCode !== undefined) {
        expect(receivable(closeFrame.closeCode), `seed ${1000 + seed}: sent ${closeFrame.closeCode}`).toBe(true);
      }
      verdicts.add(code);
    }
    // The damage reaches the protocol checks, not only cut-off streams.
    expect([...verdicts].filter((code) => [1002, 1007, 1009].includes(code)).length).toBeGreaterThan(0);
    const client = await connect(fixture.url);
    client.send('still serving');
    expect((await nextMessage(client))[0].toString()).toBe('still serving');
    client.terminate();
  });
});

// A WebSocket client over a bare TCP socket, for frames that a well-behaved
// library never sends (unmasked client frames, invalid UTF-8).
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';

/**
 * @param {number} port
 * @param {string} [path]
 * @param {{ onFrame?: (frame: object) => void }} [options] with onFrame,
 *   frames are handed over and not kept (for readers of large volumes)
 */
export async function rawConnect(port, path = '/', { onFrame } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\n` +
      `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  const frames = [];
  // With onFrame, frames are counted by a streaming parser that skips
  // payload bytes instead of copying them (readers of large volumes).
  const skipper = onFrame ? frameSkipper(onFrame) : null;
  let waiter = null;
  let headerDone = false;
  let status = 0;
  const headerReady = new Promise((resolve, reject) => {
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!headerDone) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(buffered.subarray(0, end).toString().split(' ')[1]);
        buffered = buffered.subarray(end + 4);
        headerDone = true;
        resolve();
      }
      if (skipper) {
        skipper(buffered);
        buffered = Buffer.alloc(0);
        return;
      }
      for (let frame = parseFrame(buffered); frame; frame = parseFrame(buffered)) {
        buffered = buffered.subarray(frame.size);
        frames.push(frame);
        waiter?.();
      }
    });
    socket.once('error', reject);
  });
  await headerReady;
  const ended = new Promise((resolve) => socket.once('close', resolve));

  return {
    status,
    socket,
    ended,
    send(opcode, payload, { mask = true, fin = true } = {}) {
      socket.write(buildFrame(opcode, payload, { mask, fin }));
    },
    /** Resolves with the next frame the server sends. */
    async nextFrame() {
      while (frames.length === 0) {
        await new Promise((resolve) => {
          waiter = resolve;
          socket.once('close', resolve);
        });
        if (frames.length === 0 && socket.destroyed) throw new Error('socket closed without a frame');
      }
      return frames.shift();
    },
  };
}

/** A frame; `key` (4 bytes) fixes the mask, else a random one is drawn. */
export function buildFrame(opcode, payload, { mask = true, fin = true, key = randomBytes(4) } = {}) {
  const length = payload.length;
  const header = [(fin ? 0x80 : 0) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) header.push(maskBit | length);
  else if (length < 65536) header.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    const extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
    header.push(maskBit | 127, ...extended);
  }
  if (!mask) return Buffer.concat([Buffer.from(header), payload]);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(header), key, masked]);
}

// Calls onFrame({ opcode, length }) per complete frame, keeping no payload.
function frameSkipper(onFrame) {
  let header = Buffer.alloc(0);
  let remaining = 0;
  let current = null;
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining > 0) {
        const take = Math.min(remaining, chunk.length - offset);
        remaining -= take;
        offset += take;
        if (remaining === 0) onFrame(current);
        continue;
      }
      header = Buffer.concat([header, chunk.subarray(offset, offset + 14)]);
      const before = header.length - Math.min(14, chunk.length - offset);
      const parsed = parseHeader(header);
      if (!parsed) {
        offset = chunk.length;
        continue;
      }
      offset += parsed.headerSize - before;
      header = Buffer.alloc(0);
      current = { opcode: parsed.opcode, length: parsed.length };
      remaining = parsed.length;
      if (remaining === 0) onFrame(current);
    }
  };
}

function parseHeader(bytes) {
  if (bytes.length < 2) return null;
  let length = bytes[1] & 0x7f;
  let headerSize = 2;
  if (length === 126) {
    if (bytes.length < 4) return null;
    length = bytes.readUInt16BE(2);
    headerSize = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return null;
    length = Number(bytes.readBigUInt64BE(2));
    headerSize = 10;
  }
  return { opcode: bytes[0] & 0x0f, length, headerSize };
}

function parseFrame(bytes) {
  const header = parseHeader(bytes);
  if (!header) return null;
  const { length, headerSize: offset } = header;
  if (bytes.length < offset + length) return null;
  const payload = bytes.subarray(offset, offset + length);
  const frame = { opcode: bytes[0] & 0x0f, payload, size: offset + length };
  if (frame.opcode === 0x8 && payload.length >= 2) {
    frame.closeCode = payload.readUInt16BE(0);
    frame.closeReason = payload.subarray(2).toString();
  }
  return frame;
}

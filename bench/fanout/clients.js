// Fan-out benchmark subscribers, in their own process:
//   node clients.js <port> <subscribers> <messages> <size>
// Opens the connections from several 127.0.0.x source addresses, asks the
// server to publish, counts every delivered frame (keeping no payload) and
// prints one JSON line with the results. Exits by itself (60 s at most).
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const [port, subscribers, messages, size] = process.argv.slice(2).map(Number);
const deadline = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: 'timed out', delivered }) + '\n');
  process.exit(2);
}, 60_000);

let delivered = 0;
const latencies = [];
const expected = subscribers * messages;
let finish;
const done = new Promise((resolve) => (finish = resolve));

function open(index) {
  return new Promise((resolve, reject) => {
    // Spread over 127.0.0.1-127.0.0.8 so ports never run out.
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${1 + (index % 8)}` });
    socket.setNoDelay(true);
    let upgraded = false;
    let head = Buffer.alloc(0);
    let need = 0; // payload bytes still to skip in the current frame
    let pending = Buffer.alloc(0); // a partial frame header
    socket.on('connect', () =>
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk) => {
      if (!upgraded) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        resolve(socket);
        chunk = head.subarray(end + 4);
      }
      let offset = 0;
      while (offset < chunk.length) {
        if (need > 0) {
          const take = Math.min(need, chunk.length - offset);
          need -= take;
          offset += take;
          if (need === 0) counted();
          continue;
        }
        const bytes = pending.length ? Buffer.concat([pending, chunk.subarray(offset)]) : chunk.subarray(offset);
        const used = pending.length;
        if (bytes.length < 2) {
          pending = Buffer.from(bytes);
          return;
        }
        let length = bytes[1] & 0x7f;
        let header = 2;
        if (length === 126) header = 4;
        else if (length === 127) header = 10;
        if (bytes.length < header + 8) {
          pending = Buffer.from(bytes);
          return;
        }
        if (length === 126) length = bytes.readUInt16BE(2);
        else if (length === 127) length = Number(bytes.readBigUInt64BE(2));
        if (latencies.length < 20000 && delivered % 7 === 0) latencies.push(Date.now() - bytes.readDoubleLE(header));
        pending = Buffer.alloc(0);
        offset += header - used;
        need = length;
        if (need === 0) counted();
      }
    });
    socket.on('error', reject);
  });
}

function counted() {
  if (++delivered === expected) finish();
}

const sockets = [];
for (let i = 0; i < subscribers; i += 500) {
  const batch = [];
  for (let j = i; j < Math.min(i + 500, subscribers); j++) batch.push(open(j));
  sockets.push(...(await Promise.all(batch)));
}
const trigger = sockets[0];
const started = performance.now();
const command = Buffer.from(`publish ${messages} ${size} ${subscribers}`);
const mask = randomBytes(4);
const masked = Buffer.from(command.map((byte, i) => byte ^ mask[i % 4]));
trigger.write(Buffer.concat([Buffer.from([0x81, 0x80 | command.length]), mask, masked]));
await done;
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const round = (ms) => (ms === null ? null : Math.round(ms * 10) / 10);
const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
process.stdout.write(
  JSON.stringify({ subscribers, messages, size, delivered, seconds: elapsed, perSecond: delivered / elapsed, p50ms: round(pick(0.5)), p99ms: round(pick(0.99)) }) + '\n',
);
clearTimeout(deadline);
for (const socket of sockets) socket.destroy();
process.exit(0);

// Fan-out benchmark server: every connection subscribes to "bench"; a text
// message "publish <count> <size> <subscribers>" from any client makes the
// server publish <count> messages of <size> bytes to the topic, as fast as
// the core takes them, once <subscribers> are subscribed. Prints "listening <port>" and, on stdin "cpu", its CPU seconds.
import { WebSocketServer } from '../../lib/index.js';

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxBackpressure: 0, // measure delivery, not dropping
  open(ws) {
    ws.subscribe('bench');
  },
  message(ws, data) {
    const [command, count, size, subscribers] = String(data).split(' ');
    if (command !== 'publish') return;
    const payload = Buffer.alloc(Number(size), 0x61);
    const publish = () => {
      // Start once every subscriber is in: their open events may still be queued.
      if (server.subscriberCount('bench') < Number(subscribers)) return setImmediate(publish);
      for (let i = 0; i < Number(count); i++) {
        payload.writeDoubleLE(performance.timeOrigin + performance.now(), 0); // send time, for latency
        server.publish('bench', payload, true);
      }
    };
    publish();
  },
});
const { port } = await server.listen();
process.stdout.write(`listening ${port}\n`);
process.stdin.on('data', (line) => {
  if (String(line).trim() === 'cpu') {
    const usage = process.cpuUsage();
    process.stdout.write(`cpu ${(usage.user + usage.system) / 1e6}\n`);
  }
});
process.stdin.on('end', () => server.close().then(() => process.exit(0)));

// Fan-out on hyphae: native topic publish. Prints "listening <port>"; exits when stdin closes.
import { WebSocketServer } from '../../lib/index.js';
import { runTrigger } from './fanout-common.js';

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  open(ws) {
    if (ws.url.startsWith('/sub')) ws.subscribe('bench');
  },
  message(ws, data) {
    runTrigger(String(data), () => server.subscriberCount('bench'), (text) => server.publish('bench', text));
  },
});
const { port } = await server.listen();
process.stdout.write(`listening ${port}\n`);
process.stdin.resume();
process.stdin.on('end', () => server.close({ timeout: 100 }).then(() => process.exit(0)));

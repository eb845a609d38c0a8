// Fan-out on Bun: subscribe + server.publish. Run with bun. Prints "listening <port>"; exits when stdin closes.
import { runTrigger } from './fanout-common.js';

let subscribed = 0;
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, srv) {
    const path = new URL(request.url).pathname;
    return srv.upgrade(request, { data: { path } }) ? undefined : new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    open(ws) {
      if (ws.data.path.startsWith('/sub')) {
        ws.subscribe('bench');
        subscribed++;
      }
    },
    close(ws) {
      if (ws.data.path.startsWith('/sub')) subscribed--;
    },
    message(ws, message) {
      runTrigger(String(message), () => subscribed, (text) => server.publish('bench', text));
    },
  },
});
process.stdout.write(`listening ${server.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

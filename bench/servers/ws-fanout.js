// Fan-out on ws: a loop over the subscribers. Prints "listening <port>"; exits when stdin closes.
import { WebSocketServer } from 'ws';
import { runTrigger } from './fanout-common.js';

const subscribers = new Set();
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (ws, request) => {
  if (request.url.startsWith('/sub')) {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  }
  ws.on('message', (data) =>
    runTrigger(String(data), () => subscribers.size, (text) => {
      for (const subscriber of subscribers) subscriber.send(text);
    }),
  );
});
server.on('listening', () => process.stdout.write(`listening ${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

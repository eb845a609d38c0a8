// Echo through a JS handler, on ws. Prints "listening <port>"; exits when stdin closes.
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.on('listening', () => process.stdout.write(`listening ${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

// Echo through a JS handler, on hyphae. Prints "listening <port>"; exits when stdin closes.
import { WebSocketServer } from '../../lib/index.js';

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  message: (ws, data, isBinary) => ws.send(data, isBinary),
});
const { port } = await server.listen();
process.stdout.write(`listening ${port}\n`);
process.stdin.resume();
process.stdin.on('end', () => server.close({ timeout: 100 }).then(() => process.exit(0)));

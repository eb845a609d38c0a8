// The example `npm start` runs: an echo server on 127.0.0.1 that also tells
// every client how many others are connected. Stop it with Ctrl-C.
//   PORT=9000 npm start     to pick another port
import { WebSocketServer } from 'hyphae';

const port = Number(process.env.PORT ?? 8080);
const server = new WebSocketServer({
  host: '127.0.0.1',
  port,
  path: '/ws',
  open(ws) {
    ws.send(JSON.stringify({ type: 'welcome', id: ws.id, connections: server.connectionCount }));
  },
  message(ws, data, isBinary) {
    ws.send(data, isBinary); // echo, byte for byte
  },
  close(ws, code, reason) {
    console.log(`connection ${ws.id} closed: ${code} ${reason}`);
  },
});

const address = await server.listen();
console.log(`hyphae echo server on ws://${address.address}:${address.port}/ws`);
// The client prints the welcome, then the echo of "hello", then closes.
console.log(`try it: node -e "const W=require('ws');const c=new W('ws://127.0.0.1:${address.port}/ws');let n=0;` +
  `c.on('message',m=>{console.log(String(m));if(++n===2)c.close()});c.on('open',()=>c.send('hello'))"`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.log('closing...');
    await server.close({ timeout: 2000 });
    console.log('closed');
  });
}

// The websocket facet inside a real mycelia-kernel-plugin system.
//   node examples/mycelia/server.js        (PORT=9000 to pick another port)
// Then, from another shell:
//   node -e "const W=require('ws');const c=new W('ws://127.0.0.1:8081/ws');c.on('open',()=>c.send(JSON.stringify({path:'math://add',body:{a:2,b:3},correlationId:'1'})));c.on('message',m=>{console.log(String(m));c.close()})"
import { StandalonePluginSystem } from 'mycelia-kernel-plugin';
import { useNativeWebSocket } from 'hyphae/mycelia';

const system = new StandalonePluginSystem('example', {
  config: {
    websocket: { host: '127.0.0.1', port: Number(process.env.PORT ?? 8081), path: '/ws' },
    routing: { defaultPath: 'chat://say' },
  },
});
system.use(useNativeWebSocket);
await system.build();

const websocket = system.find('websocket');
websocket.registerMessageHandler('math://add', (message) => ({ sum: message.body.a + message.body.b }));
websocket.registerMessageHandler('user://get/{id}', (message, params) => ({ id: params.id, name: `user ${params.id}` }));
websocket.registerMessageHandler('chat://say', async (message, params, { connection }) => {
  const sent = await websocket.broadcast({ type: 'chat', from: connection.id, text: String(message.body.text ?? '') });
  return { delivered: sent };
});
websocket.onConnection((connection) => console.log(`+ ${connection.id} from ${connection.metadata.remoteAddress}`));
websocket.onDisconnection((connection, code, reason) => console.log(`- ${connection.id} ${code} ${reason}`));

await websocket.start({
  callback: () => console.log(`mycelia example on ws://${websocket.getAddress()}:${websocket.getPort()}/ws`),
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await system.dispose();
    console.log('stopped');
  });
}

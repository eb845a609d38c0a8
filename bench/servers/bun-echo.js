// Echo through a JS handler, on Bun.serve. Run with bun. Prints "listening <port>"; exits when stdin closes.
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, srv) {
    return srv.upgrade(request) ? undefined : new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    message(ws, message) {
      ws.send(message);
    },
  },
});
process.stdout.write(`listening ${server.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

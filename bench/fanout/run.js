// Fan-out benchmark: `npm run bench:fanout`. For 1k and 10k subscribers the
// server (hyphae, native publish) runs in one process and the subscribers in
// another; prints delivered messages per second, publish-to-receive latency
// and the server's CPU time per delivered message. Figures, not assertions:
// on a 2-core machine the server and the clients share the cores.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const scenarios = [
  { subscribers: 1000, messages: 500, size: 32 },
  { subscribers: 10000, messages: 100, size: 32 },
];

async function startServer() {
  const child = spawn(process.execPath, [here('server.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', resolve));
  const port = Number((await next()).split(' ')[1]);
  const cpu = async () => {
    child.stdin.write('cpu\n');
    return Number((await next()).split(' ')[1]);
  };
  return { child, port, cpu };
}

const rows = [];
for (const scenario of scenarios) {
  const server = await startServer();
  const before = await server.cpu();
  const clients = spawn(process.execPath, [here('clients.js'), server.port, scenario.subscribers, scenario.messages, scenario.size].map(String), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  clients.stdout.on('data', (chunk) => (output += chunk));
  await once(clients, 'exit');
  const serverCpu = (await server.cpu()) - before;
  server.child.stdin.end();
  await once(server.child, 'exit');
  const result = JSON.parse(output.trim().split('\n').pop());
  rows.push({ ...result, serverCpuUsPerMessage: (serverCpu * 1e6) / result.delivered });
}

console.log('\n| subscribers | messages | size | delivered | msgs/s | p50 ms | p99 ms | server CPU µs/msg |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.subscribers} | ${r.messages} | ${r.size} | ${r.delivered} | ${Math.round(r.perSecond).toLocaleString('en')} | ${r.p50ms} | ${r.p99ms} | ${r.serverCpuUsPerMessage.toFixed(2)} |`,
  );
}

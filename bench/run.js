// `npm run bench`: the same echo scenarios against hyphae, ws and Bun, back
// to back and alternating, with warm-up and repetitions. Prints a markdown
// table of medians [min–max] with the hyphae/ws and hyphae/Bun ratios, and
// writes the raw runs to bench/results/. Server and load generator are pinned
// to different cores where taskset exists; on 2 cores they still compete, so
// the ratios within one run are the figure, not the absolute numbers.
//   node bench/run.js [--reps 3] [--duration 5] [--quick]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const quick = argv.includes('--quick');
const REPS = option('--reps', quick ? 1 : 3);
const DURATION = option('--duration', quick ? 2 : 5);
const WARMUP = quick ? 0.5 : 1;

const SCENARIOS = [
  { name: 'echo 100 conns', connections: 100, depth: 1, size: 32, target: '≥ 2× ws, ≥ Bun' },
  { name: 'echo 1000 conns', connections: 1000, depth: 1, size: 32, target: '≥ 2× ws, ≥ Bun' },
];

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (core, command, args) => (hasTaskset ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]);

function loadGenerator() {
  const binary = path.join(root, 'build-native', 'hyphae_load');
  if (!existsSync(binary)) {
    console.log('building the load generator (build-native/hyphae_load)...');
    execFileSync('cmake', ['-S', root, '-B', path.join(root, 'build-native'), '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
    execFileSync('cmake', ['--build', path.join(root, 'build-native'), '--target', 'hyphae_load', '-j2'], { stdio: 'inherit' });
  }
  return binary;
}

// Bun comes from the `bun` npm package, installed beside the project (never
// into its own dependencies). Where it cannot install, Bun is skipped.
function bunBinary() {
  const tools = path.join(root, 'bench', '.tools');
  const binary = path.join(tools, 'node_modules', '.bin', 'bun');
  if (!existsSync(binary)) {
    mkdirSync(tools, { recursive: true });
    const result = spawnSync('npm', ['install', '--prefix', tools, '--no-package-lock', '--no-save', 'bun@1.4.5'], { stdio: 'ignore' });
    if (result.status !== 0 || !existsSync(binary)) return null;
  }
  return spawnSync(binary, ['--version']).status === 0 ? binary : null;
}

function contenders() {
  const list = [
    { name: 'hyphae', command: process.execPath, args: [path.join(root, 'bench/servers/hyphae-echo.js')] },
    { name: 'ws', command: process.execPath, args: [path.join(root, 'bench/servers/ws-echo.js')] },
  ];
  const bun = bunBinary();
  if (bun) list.push({ name: 'bun', command: bun, args: [path.join(root, 'bench/servers/bun-echo.js')] });
  else console.log('note: Bun could not be installed here (npm package `bun`); it is left out of this run.');
  return list;
}

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : null };
}

async function runOnce(contender, scenario, generator) {
  const [command, args] = pinned(1, contender.command, contender.args);
  const server = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: server.stdout }), 'line');
  const port = Number(line.split(' ')[1]);
  const before = procStats(server.pid);
  const [loadCommand, loadArgs] = pinned(0, generator, [
    'echo', '--port', String(port), '--connections', String(scenario.connections), '--depth', String(scenario.depth),
    '--size', String(scenario.size), '--warmup', String(WARMUP), '--duration', String(DURATION),
  ]);
  const load = spawnSync(loadCommand, loadArgs, { encoding: 'utf8', timeout: (DURATION + WARMUP + 60) * 1000 });
  const after = procStats(server.pid);
  server.stdin.end();
  await once(server, 'exit');
  const result = JSON.parse(load.stdout.trim().split('\n').pop() || '{"error":"no output"}');
  const serverCpu = after.cpuSeconds - before.cpuSeconds;
  return {
    ...result,
    serverCpuSeconds: serverCpu,
    serverCpuUsPerMsg: result.messages ? (serverCpu * 1e6) / result.messages : null,
    serverPeakRssMiB: after.peakRssMiB,
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const k = (n) => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(Math.round(n)));

const generator = loadGenerator();
const list = contenders();
const runs = [];
for (const scenario of SCENARIOS) {
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate the order each repetition so no contender always goes first.
    const order = rep % 2 === 0 ? list : [...list].reverse();
    for (const contender of order) {
      const result = await runOnce(contender, scenario, generator);
      runs.push({ scenario: scenario.name, contender: contender.name, rep, ...result });
      process.stderr.write(`${scenario.name} ${contender.name} #${rep + 1}: ${k(result.msgsPerSec ?? 0)} msgs/s\n`);
    }
  }
}

console.log(`\nEcho through a JS handler, 32-byte text messages, one in flight per connection; ${REPS} runs of ${DURATION} s each; medians [min–max].\n`);
console.log('| scenario | server | msgs/s | p50 µs | p99 µs | server CPU µs/msg | peak RSS MiB | load CPU µs/msg |');
console.log('|---|---|---|---:|---:|---:|---:|---:|');
const summary = {};
for (const scenario of SCENARIOS) {
  for (const contender of list) {
    const mine = runs.filter((r) => r.scenario === scenario.name && r.contender === contender.name);
    const rate = mine.map((r) => r.msgsPerSec ?? 0);
    const row = {
      msgsPerSec: median(rate),
      min: Math.min(...rate),
      max: Math.max(...rate),
      p50us: median(mine.map((r) => r.p50us)),
      p99us: median(mine.map((r) => r.p99us)),
      cpu: median(mine.map((r) => r.serverCpuUsPerMsg ?? 0)),
      rss: median(mine.map((r) => r.serverPeakRssMiB ?? 0)),
      loadCpu: median(mine.map((r) => r.loadCpuUsPerMsg ?? 0)),
    };
    (summary[scenario.name] ??= {})[contender.name] = row;
    console.log(
      `| ${scenario.name} | ${contender.name} | ${k(row.msgsPerSec)} [${k(row.min)}–${k(row.max)}] | ${row.p50us} | ${row.p99us} | ${row.cpu.toFixed(2)} | ${row.rss.toFixed(0)} | ${row.loadCpu.toFixed(2)} |`,
    );
  }
}
console.log('\n| scenario | hyphae/ws | hyphae/Bun | target |');
console.log('|---|---:|---:|---|');
for (const scenario of SCENARIOS) {
  const s = summary[scenario.name];
  const ratio = (other) => (s[other] ? (s.hyphae.msgsPerSec / s[other].msgsPerSec).toFixed(2) : 'n/a');
  console.log(`| ${scenario.name} | ${ratio('ws')} | ${ratio('bun')} | ${scenario.target} |`);
}
const resultsDir = path.join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `echo-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), reps: REPS, duration: DURATION, taskset: hasTaskset, runs, summary }, null, 2));
console.log(`\nraw runs: ${path.relative(root, file)}`);

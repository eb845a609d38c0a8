// `npm run bench`: the same scenarios (echo, fan-out, idle memory, churn)
// against hyphae, ws and Bun (and, in echo, hyphae's core without JS as a
// reference), back to back and alternating, with warm-up and
// repetitions. Prints a markdown
// table of medians [min–max] with the hyphae/ws and hyphae/Bun ratios, and
// writes the raw runs to bench/results/. Server and load generator are pinned
// to different cores where taskset exists; on 2 cores they still compete, so
// the ratios within one run are the figure, not the absolute numbers.
//   node bench/run.js [--reps 3] [--duration 5] [--quick] [--only <scenario prefix>]
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

// metric: the generator's field compared; better: which way is better.
const SCENARIOS = [
  { name: 'echo 100 conns', mode: 'echo', servers: 'echo', metric: 'msgsPerSec', better: 'higher', args: ['--connections', '100'], timed: true, target: '≥ 2× ws, ≥ Bun' },
  { name: 'echo 1000 conns', mode: 'echo', servers: 'echo', metric: 'msgsPerSec', better: 'higher', args: ['--connections', '1000'], timed: true, target: '≥ 2× ws, ≥ Bun' },
  { name: 'fan-out 1k subs', mode: 'fanout', servers: 'fanout', metric: 'msgsPerSec', better: 'higher', args: ['--connections', '1000', '--messages', '200'], target: '≥ 3× ws, ≥ Bun' },
  { name: 'fan-out 10k subs', mode: 'fanout', servers: 'fanout', metric: 'msgsPerSec', better: 'higher', args: ['--connections', '10000', '--messages', '40'], target: '≥ 3× ws, ≥ Bun' },
  // Latency at a fixed, moderate load: 1k subscribers, 100 publishes/s (100k deliveries/s) for 5 s.
  { name: 'fan-out 1k subs, 100/s', mode: 'fanout', servers: 'fanout', metric: 'p99us', better: 'lower', args: ['--connections', '1000', '--messages', '500', '--rate', '100'], target: 'none (p99 µs, due time → receive)' },
  { name: 'idle 10k conns', mode: 'idle', servers: 'echo', metric: 'bytesPerConnection', better: 'lower', args: ['--connections', '10000', '--path', '/idle'], target: '≤ ws / 2 (aim ≤ 3 KB)' },
  { name: 'churn 50 loops', mode: 'churn', servers: 'echo', metric: 'cyclesPerSec', better: 'higher', args: ['--connections', '50'], timed: true, target: '≥ ws' },
];
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (core, command, args) => (hasTaskset ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]);

// The load generator and the core-only echo (a reference row, not a
// contender), both from the native build tree.
function nativeBinaries() {
  const dir = path.join(root, 'build-native');
  const load = path.join(dir, 'hyphae_load');
  const coreEcho = path.join(dir, 'hyphae_native_echo');
  if (!existsSync(load) || !existsSync(coreEcho)) {
    console.log('building the load generator and the core-only echo (build-native)...');
    execFileSync('cmake', ['-S', root, '-B', dir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
    execFileSync('cmake', ['--build', dir, '--target', 'hyphae_load', 'hyphae_native_echo', '-j2'], { stdio: 'inherit' });
  }
  return { load, coreEcho };
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

function contenders(coreEcho) {
  const node = (file) => ({ command: process.execPath, args: [path.join(root, 'bench/servers', file)] });
  const list = [
    { name: 'hyphae', echo: node('hyphae-echo.js'), fanout: node('hyphae-fanout.js') },
    // The same servers with sameThread as the default (HYPHAE_SAME_THREAD).
    { name: 'hyphae-st', env: { HYPHAE_SAME_THREAD: '1' }, echo: node('hyphae-echo.js'), fanout: node('hyphae-fanout.js') },
    { name: 'ws', echo: node('ws-echo.js'), fanout: node('ws-fanout.js') },
  ];
  // hyphae's core echoing on its io thread, without JS (bench/servers/native-echo.cpp):
  // how much of hyphae's echo cost is the JS handler. Echo scenarios only.
  list.push({ name: 'core', modes: ['echo'], echo: { command: coreEcho, args: [] } });
  const bun = bunBinary();
  const viaBun = (file) => ({ command: bun, args: [path.join(root, 'bench/servers', file)] });
  if (bun) list.push({ name: 'bun', echo: viaBun('bun-echo.js'), fanout: viaBun('bun-fanout.js') });
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
  const program = contender[scenario.servers];
  const [command, args] = pinned(1, program.command, program.args);
  const server = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...contender.env } });
  const [line] = await once(createInterface({ input: server.stdout }), 'line');
  const port = Number(line.split(' ')[1]);
  const before = procStats(server.pid);
  const loadArgs = [scenario.mode, '--port', String(port), ...scenario.args];
  if (scenario.timed) loadArgs.push('--warmup', String(WARMUP), '--duration', String(DURATION));
  // The generator reads the server's user and kernel CPU over its own window
  // (idle: the server's RSS).
  loadArgs.push('--server-pid', String(server.pid));
  const [loadCommand, pinnedArgs] = pinned(0, generator, loadArgs);
  const load = spawnSync(loadCommand, pinnedArgs, { encoding: 'utf8', timeout: (DURATION + WARMUP + 90) * 1000 });
  const after = procStats(server.pid);
  server.stdin.end();
  await once(server, 'exit');
  const result = JSON.parse(load.stdout.trim().split('\n').pop() || '{"error":"no output"}');
  const serverCpu = after.cpuSeconds - before.cpuSeconds;
  const units = result.delivered ?? result.messages ?? result.cycles;
  // Over the measuring window where the generator read it; else over the
  // whole run (connection set-up and warm-up included).
  const windowed = result.serverUserUsPerUnit !== undefined;
  return {
    ...result,
    value: result[scenario.metric] ?? null,
    serverCpuSeconds: serverCpu,
    serverCpuUsPerUnit: windowed ? result.serverUserUsPerUnit + result.serverKernelUsPerUnit : units ? (serverCpu * 1e6) / units : null,
    serverPeakRssMiB: after.peakRssMiB,
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const k = (n) => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(Math.round(n)));

const { load: generator, coreEcho } = nativeBinaries();
const list = contenders(coreEcho);
const runsIn = (contender, scenario) => !contender.modes || contender.modes.includes(scenario.mode);
const scenarios = SCENARIOS.filter((scenario) => !only || scenario.name.startsWith(only));
const runs = [];
for (const scenario of scenarios) {
  // One run of each idle scenario is enough: it measures memory, not speed.
  const reps = scenario.mode === 'idle' ? 1 : REPS;
  for (let rep = 0; rep < reps; rep++) {
    // Alternate the order each repetition so no contender always goes first.
    const order = rep % 2 === 0 ? list : [...list].reverse();
    for (const contender of order) {
      if (!runsIn(contender, scenario)) continue;
      const result = await runOnce(contender, scenario, generator);
      runs.push({ scenario: scenario.name, contender: contender.name, rep, ...result });
      process.stderr.write(`${scenario.name} ${contender.name} #${rep + 1}: ${result.value ?? result.error}\n`);
    }
  }
}

const unit = { msgsPerSec: 'msgs/s', bytesPerConnection: 'bytes/conn', cyclesPerSec: 'cycles/s', p99us: 'µs p99' };
console.log(`\n${REPS} runs per scenario (idle: 1) of ${DURATION} s where timed; medians [min–max]. Server pinned to core 1, load generator to core 0${hasTaskset ? '' : ' (taskset missing: not pinned)'}.\n`);
console.log('| scenario | server | result | p50 µs | p99 µs | server CPU µs/unit (user + kernel) | peak RSS MiB | load CPU µs/msg |');
console.log('|---|---|---|---:|---:|---:|---:|---:|');
const summary = {};
for (const scenario of scenarios) {
  for (const contender of list) {
    if (!runsIn(contender, scenario)) continue;
    const mine = runs.filter((r) => r.scenario === scenario.name && r.contender === contender.name && r.value !== null);
    if (mine.length === 0) {
      console.log(`| ${scenario.name} | ${contender.name} | failed | | | | | |`);
      continue;
    }
    const values = mine.map((r) => r.value);
    const pick = (field) => median(mine.map((r) => r[field] ?? 0));
    const row = { value: median(values), min: Math.min(...values), max: Math.max(...values) };
    (summary[scenario.name] ??= {})[contender.name] = row;
    const figure = scenario.metric === 'bytesPerConnection' ? `${Math.round(row.value)} ${unit[scenario.metric]}` : `${k(row.value)} [${k(row.min)}–${k(row.max)}] ${unit[scenario.metric]}`;
    const cpu = pick('serverCpuUsPerUnit');
    const split = mine[0].serverUserUsPerUnit !== undefined ? ` (${pick('serverUserUsPerUnit').toFixed(2)} + ${pick('serverKernelUsPerUnit').toFixed(2)})` : '';
    console.log(
      `| ${scenario.name} | ${contender.name} | ${figure} | ${pick('p50us') || ''} | ${pick('p99us') || ''} | ${cpu ? cpu.toFixed(2) + split : ''} | ${pick('serverPeakRssMiB').toFixed(0)} | ${pick('loadCpuUsPerMsg') ? pick('loadCpuUsPerMsg').toFixed(2) : ''} |`,
    );
  }
}
console.log('\n| scenario | hyphae/ws | hyphae/Bun | hyphae-st/ws | hyphae-st/Bun | core (no JS)/ws | target |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const scenario of scenarios) {
  const s = summary[scenario.name] ?? {};
  const ratio = (mine, other) => (s[mine] && s[other] ? (s[mine].value / s[other].value).toFixed(2) : 'n/a');
  const note = scenario.better === 'lower' ? ' (lower is better)' : '';
  console.log(
    `| ${scenario.name} | ${ratio('hyphae', 'ws')} | ${ratio('hyphae', 'bun')} | ${ratio('hyphae-st', 'ws')} | ${ratio('hyphae-st', 'bun')} | ${s.core ? ratio('core', 'ws') : ''} | ${scenario.target}${note} |`,
  );
}
const resultsDir = path.join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), reps: REPS, duration: DURATION, taskset: hasTaskset, runs, summary }, null, 2));
console.log(`\nraw runs: ${path.relative(root, file)}`);

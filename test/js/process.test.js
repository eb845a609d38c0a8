import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { connect, nextMessage } from './helpers/clients.js';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// The child must exit on its own; if a native handle kept it alive, the
// 'exit' event would never come and the test would time out.
async function runToExit(script) {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const [code, signal] = await once(child, 'exit');
  return { code, signal, output };
}

describe('process and worker lifetime', () => {
  it('the process exits by itself after close()', async () => {
    const { code, signal, output } = await runToExit(fixture('exit-after-close.js'));
    expect(signal).toBe(null);
    expect(code).toBe(0);
    expect(output).toBe('echoed ping\n');
  });

  it('a CommonJS program can require() it, serve and exit by itself', async () => {
    const { code, output } = await runToExit(fixture('require-cjs.cjs'));
    expect(code).toBe(0);
    expect(output).toBe('echoed hi\nclosed\n');
  });

  it('examples/reliable: every progress update reaches the client once across a lost connection, then it exits', async () => {
    const script = fileURLToPath(new URL('../../examples/reliable/index.js', import.meta.url));
    const { code, output } = await runToExit(script);
    expect(code).toBe(0);
    const updates = output.split('\n').filter((line) => /^client: operation_/.test(line));
    expect(updates).toEqual([
      'client: operation_progress 25%',
      'client: operation_progress 50%',
      'client: operation_progress 75%',
      'client: operation_completed 100%',
    ]);
    expect(output).toMatch(/client: connection closed \(1012\)/);
    expect(output).toMatch(/server: all 4 updates confirmed/);
  });

  it('an unref()d listening server does not keep the process alive', async () => {
    const { code, output } = await runToExit(fixture('exit-unref.js'));
    expect(code).toBe(0);
    expect(output).toMatch(/^listening \d+\n$/);
  });

  it('loads and serves inside a worker_thread, then closes and exits', async () => {
    const worker = new Worker(fixture('worker-echo.js'));
    const [{ port }] = await once(worker, 'message');
    const client = await connect(`ws://127.0.0.1:${port}`);
    client.send('from main thread');
    expect((await nextMessage(client))[0].toString()).toBe('from main thread');
    const exited = once(worker, 'exit');
    worker.postMessage('stop');
    const [reply] = await once(worker, 'message');
    expect(reply).toEqual({ closed: true });
    expect((await exited)[0]).toBe(0);
  });

  it('a worker terminated while serving tears its server down cleanly', async () => {
    const worker = new Worker(fixture('worker-echo.js'));
    const [{ port }] = await once(worker, 'message');
    const client = await connect(`ws://127.0.0.1:${port}`);
    const clientClosed = once(client, 'close');
    await worker.terminate();
    const [code] = await clientClosed;
    // Teardown drops connections without waiting for a close handshake.
    expect([1001, 1006]).toContain(code);
    // The main thread's own servers are unaffected: start one and use it.
    const again = new Worker(fixture('worker-echo.js'));
    const [{ port: port2 }] = await once(again, 'message');
    const second = await connect(`ws://127.0.0.1:${port2}`);
    second.send('ok');
    expect((await nextMessage(second))[0].toString()).toBe('ok');
    second.terminate();
    again.postMessage('stop');
    await once(again, 'exit');
  });
});

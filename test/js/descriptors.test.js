// A server whose process runs out of descriptors: accepting fails (EMFILE)
// and the connection waits in the listen queue until the server's retry
// takes it. The server lives in a child process that fills its own table.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { nextMessage } from './helpers/clients.js';

const fixture = fileURLToPath(new URL('./fixtures/out-of-descriptors.js', import.meta.url));

describe('out of descriptors', () => {
  it('a connection waits and is accepted once descriptors are free again', async () => {
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    // The child's lines, in order (it writes three, see the fixture).
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const line = async () => (await lines.next()).value;
    try {
      const [, port] = (await line()).match(/^listening (\d+)$/);
      expect(await line()).toBe('full');
      const client = new WebSocket(`ws://127.0.0.1:${port}`);
      const opened = once(client, 'open');
      const [, acceptErrors] = (await line()).match(/^freed (\d+)$/);
      expect(Number(acceptErrors)).toBeGreaterThan(0);
      await opened;
      client.send('accepted at last');
      expect((await nextMessage(client))[0].toString()).toBe('accepted at last');
      const exited = once(child, 'exit');
      client.close();
      expect((await exited)[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });
});

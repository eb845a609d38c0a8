import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, connect, startEchoServer } from './helpers/clients.js';
import { rawConnect } from './helpers/raw-client.js';

describe('server options at work', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close({ timeout: 100 });
  });

  it('threads: several io threads serve every client, each in order', async () => {
    fixture = await startEchoServer({ threads: 3 });
    const clients = await Promise.all(Array.from({ length: 30 }, () => connect(fixture.url)));
    const replies = await Promise.all(
      clients.map((client, c) => {
        const got = collect(client, 10);
        for (let m = 0; m < 10; m++) client.send(`${c}:${m}`);
        return got;
      }),
    );
    replies.forEach((got, c) => expect(got).toEqual(Array.from({ length: 10 }, (_, m) => `${c}:${m}`)));
    for (const client of clients) client.terminate();
  });

  it('maxHeaderBytes: a larger request head gets 431', async () => {
    fixture = await startEchoServer({ maxHeaderBytes: 1024 });
    const socket = net.connect(fixture.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(4096)}\r\n\r\n`);
    let response = '';
    socket.on('data', (chunk) => (response += chunk));
    await once(socket, 'close');
    expect(response.startsWith('HTTP/1.1 431')).toBe(true);
  });

  it('closeTimeout: close() drops a client that never answers the close frame after that long', async () => {
    fixture = await startEchoServer({ closeTimeout: 200 });
    const opened = once(fixture.server, 'connection');
    const silent = await rawConnect(fixture.port); // never answers the close frame
    const [ws] = await opened;
    const closedEvent = once(ws, 'close');
    await fixture.server.close(); // uses closeTimeout, not the 5 s default
    fixture = undefined;
    expect((await closedEvent)[0]).toBe(1006);
    await silent.ended;
    // If close() ignored closeTimeout it would wait the 5 s default and the
    // test would run past its 3 s limit: the option's effect is time itself.
  }, 3000);

  it('backlog: a small listen backlog still accepts (connections are taken as they come)', async () => {
    fixture = await startEchoServer({ backlog: 1 });
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(fixture.url)));
    await expect.poll(() => fixture.server.connectionCount).toBe(20);
    for (const client of clients) client.terminate();
  });
});

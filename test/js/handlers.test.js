import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, connect, nextMessage, startEchoServer } from './helpers/clients.js';

describe('application handler failures', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  it('a throwing handler goes to the server error listener and others are still served', async () => {
    fixture = await startEchoServer({
      message(ws, data) {
        if (String(data) === 'boom') throw new Error('handler exploded');
        ws.send(data);
      },
    });
    const errors = [];
    fixture.server.on('error', (error) => errors.push(error.message));
    const a = await connect(fixture.url);
    const b = await connect(fixture.url);
    const replies = collect(b, 2);
    const aReply = nextMessage(a); // listen before anything can arrive
    a.send('boom');
    b.send('one');
    a.send('after');
    b.send('two');
    expect(await replies).toEqual(['one', 'two']);
    expect((await aReply)[0].toString()).toBe('after');
    expect(errors).toEqual(['handler exploded']);
    a.terminate();
    b.terminate();
  });

  it('events of one connection arrive in order: open, messages, close', async () => {
    const log = [];
    fixture = await startEchoServer({
      open: (ws) => log.push(`open ${ws.id}`),
      message: (ws, data) => log.push(`message ${ws.id} ${data}`),
      close: (ws, code) => log.push(`close ${ws.id} ${code}`),
    });
    const connection = once(fixture.server, 'connection');
    const client = await connect(fixture.url);
    const [ws] = await connection;
    for (let i = 0; i < 50; i++) client.send(String(i));
    client.close(1000);
    await once(ws, 'close');
    expect(log).toEqual([
      `open ${ws.id}`,
      ...Array.from({ length: 50 }, (_, i) => `message ${ws.id} ${i}`),
      `close ${ws.id} 1000`,
    ]);
  });
});

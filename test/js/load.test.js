import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, collect, connect, startEchoServer } from './helpers/clients.js';

describe('many clients and long streams', () => {
  let fixture;
  beforeAll(async () => {
    fixture = await startEchoServer();
  });
  afterAll(async () => {
    await fixture.server.close();
  });

  it('serves 1,000 concurrent clients, each getting its own replies', async () => {
    const CLIENTS = 1000;
    const MESSAGES = 5;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(fixture.url)));
    // A client's open can precede the server's open event: wait for all of them.
    await expect.poll(() => fixture.server.connectionCount).toBe(CLIENTS);
    const results = await Promise.all(
      clients.map((client, c) => {
        const replies = collect(client, MESSAGES);
        for (let m = 0; m < MESSAGES; m++) client.send(`client ${c} message ${m}`);
        return replies;
      }),
    );
    results.forEach((replies, c) => {
      expect(replies).toEqual(Array.from({ length: MESSAGES }, (_, m) => `client ${c} message ${m}`));
    });
    await Promise.all(
      clients.map((client) => {
        const done = closed(client);
        client.close(1000);
        return done;
      }),
    );
  });

  it('keeps the order of 10,000 messages on one connection, both ways', async () => {
    const COUNT = 10_000;
    const serverSeen = [];
    const ordered = await startEchoServer({
      message(ws, data) {
        serverSeen.push(Number(data));
        ws.send(data);
      },
    });
    try {
      const client = await connect(ordered.url);
      const replies = collect(client, COUNT);
      for (let i = 0; i < COUNT; i++) client.send(String(i));
      const received = await replies;
      const expected = Array.from({ length: COUNT }, (_, i) => String(i));
      expect(received).toEqual(expected);
      expect(serverSeen).toEqual(expected.map(Number));
      client.terminate();
    } finally {
      await ordered.server.close();
    }
  });
});

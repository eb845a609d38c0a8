import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../helpers/clients.js';
import { startFacet } from '../helpers/facet.js';

const CLIENTS = 500;
const REQUESTS = 20;
const BROADCASTS = 50;

describe('facet under load', () => {
  let fixture;
  afterAll(async () => {
    await fixture?.facet.stop();
  });

  it(`${CLIENTS} clients × ${REQUESTS} pipelined requests get exactly their own replies while a broadcast runs`, async () => {
    fixture = await startFacet();
    const { facet, url } = fixture;
    // An async handler that yields, so replies of different clients interleave.
    facet.registerMessageHandler('calc://square', async (message) => {
      await new Promise((resolve) => setImmediate(resolve));
      return { client: message.body.client, n: message.body.n, square: message.body.n ** 2 };
    });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)));
    // A client's open can precede the server's open event: wait for all of them.
    await expect.poll(() => facet.getConnectionCount()).toBe(CLIENTS);

    const results = clients.map((client) => {
      const replies = [];
      const news = [];
      const done = new Promise((resolve, reject) => {
        client.on('message', (data) => {
          const message = JSON.parse(data.toString());
          if (message.type === 'news') news.push(message.i);
          else replies.push(message);
          if (replies.length === REQUESTS && news.length === BROADCASTS) resolve();
        });
        client.once('close', (code) => reject(new Error(`closed with ${code}`)));
      });
      return { replies, news, done };
    });

    const broadcasting = (async () => {
      for (let i = 0; i < BROADCASTS; i++) {
        await facet.broadcast({ type: 'news', i });
        await new Promise((resolve) => setImmediate(resolve)); // let requests in between
      }
    })();
    clients.forEach((client, c) => {
      for (let n = 0; n < REQUESTS; n++) {
        client.send(JSON.stringify({ path: 'calc://square', body: { client: c, n }, correlationId: `${c}:${n}` }));
      }
    });
    await broadcasting;
    await Promise.all(results.map((result) => result.done));

    results.forEach(({ replies, news }, c) => {
      expect(replies.map((reply) => reply.correlationId).sort()).toEqual(
        Array.from({ length: REQUESTS }, (_, n) => `${c}:${n}`).sort(),
      );
      for (const reply of replies) {
        const n = Number(reply.correlationId.split(':')[1]);
        expect(reply).toMatchObject({ success: true, data: { client: c, n, square: n * n } });
      }
      expect(news).toEqual(Array.from({ length: BROADCASTS }, (_, i) => i));
    });
    for (const client of clients) client.terminate();
  });
});

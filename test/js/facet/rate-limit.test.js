import { afterEach, describe, expect, it } from 'vitest';
import { closed } from '../helpers/clients.js';
import { connectTo, startFacet } from '../helpers/facet.js';

describe('facet rate limit (connection.rateLimit)', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.facet.stop();
  });

  it('over maxMessages per window: RATE_LIMITED replies, nothing routed; other connections unaffected', async () => {
    let routed = 0;
    fixture = await startFacet({ connection: { rateLimit: { maxMessages: 5, windowMs: 60_000 } } });
    fixture.facet.registerMessageHandler('count://hit', () => ++routed);
    const [client] = await connectTo(fixture.facet, fixture.url);
    const [other] = await connectTo(fixture.facet, fixture.url);
    const replies = [];
    const all = new Promise((resolve) =>
      client.on('message', (data) => replies.push(JSON.parse(String(data))) === 8 && resolve()),
    );
    for (let i = 0; i < 8; i++) client.send(JSON.stringify({ path: 'count://hit', correlationId: `c${i}` }));
    await all;
    expect(replies.filter((r) => r.success).map((r) => r.correlationId)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(replies.filter((r) => !r.success)).toEqual(
      ['c5', 'c6', 'c7'].map((correlationId) =>
        expect.objectContaining({ correlationId, error: { code: 'RATE_LIMITED', message: 'Too many messages' } }),
      ),
    );
    expect(routed).toBe(5);
    const otherReply = new Promise((resolve) => other.once('message', (data) => resolve(JSON.parse(String(data)))));
    other.send(JSON.stringify({ path: 'count://hit', correlationId: 'o' }));
    expect(await otherReply).toMatchObject({ success: true, correlationId: 'o' });
  });

  it("with action 'close' the connection is closed with 1008", async () => {
    fixture = await startFacet({ connection: { rateLimit: { maxMessages: 3, windowMs: 60_000, action: 'close' } } });
    const [client] = await connectTo(fixture.facet, fixture.url);
    const done = closed(client);
    for (let i = 0; i < 5; i++) client.send('{"path":"x"}');
    expect(await done).toEqual([1008, 'Rate limit exceeded']);
  });

  it('rejects an ill-formed rateLimit', async () => {
    const { createWebSocketFacet } = await import('../../../lib/index.js');
    expect(() => createWebSocketFacet({ connection: { rateLimit: { maxMessages: 0, windowMs: 10 } } })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('connection.rateLimit') }),
    );
  });
});

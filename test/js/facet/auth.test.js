import { afterEach, describe, expect, it } from 'vitest';
import { closed } from '../helpers/clients.js';
import { connectTo, request, startFacet } from '../helpers/facet.js';

const USERS = { 't-ada': 'ada', 't-bob': 'bob' };

describe('authentication by first message (connection.authenticate)', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.facet.stop({ timeout: 100 });
  });

  // `gate`: when given, authentication waits for it, so a test can send more
  // messages while it is in progress.
  async function start(connection = {}, gate = null) {
    fixture = await startFacet({
      connection: {
        authenticate: async (conn, message) => {
          await (gate ?? new Promise((resolve) => setImmediate(resolve)));
          const userId = USERS[message?.body?.token];
          return userId ? { userId } : false;
        },
        ...connection,
      },
    });
    fixture.facet.registerMessageHandler('who://am-i', (message, params, { connection: conn }) => conn.auth.userId);
    return fixture;
  }

  it('the first message authenticates; later ones are routed and see connection.auth', async () => {
    await start();
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    expect(await request(client, { path: 'auth', body: { token: 't-ada' }, correlationId: 'a1' })).toMatchObject({
      success: true,
      correlationId: 'a1',
      data: { authenticated: true, userId: 'ada' },
    });
    expect(connection.auth).toEqual({ userId: 'ada' });
    expect(connection.metadata.userId).toBe('ada');
    expect((await request(client, { path: 'who://am-i' })).data).toBe('ada');
    client.terminate();
  });

  it('messages sent while authentication runs get UNAUTHENTICATED (or close 1008 by option)', async () => {
    let open;
    await start({}, new Promise((resolve) => (open = resolve)));
    const [client] = await connectTo(fixture.facet, fixture.url);
    const replies = [];
    let onReply;
    client.on('message', (d) => {
      replies.push(JSON.parse(String(d)));
      onReply?.();
    });
    const nextReply = () => new Promise((resolve) => (onReply = resolve));
    let waiting = nextReply();
    client.send(JSON.stringify({ path: 'auth', body: { token: 't-bob' }, correlationId: 'auth' }));
    client.send(JSON.stringify({ path: 'who://am-i', correlationId: 'early' })); // while auth runs
    await waiting;
    expect(replies).toEqual([expect.objectContaining({ correlationId: 'early', error: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
    waiting = nextReply();
    open(); // now let authentication finish
    await waiting;
    expect(replies[1]).toMatchObject({ correlationId: 'auth', success: true });
    client.terminate();
    await fixture.facet.stop();

    let openStrict;
    await start({ onUnauthenticated: 'close' }, new Promise((resolve) => (openStrict = resolve)));
    const [strict] = await connectTo(fixture.facet, fixture.url);
    const done = closed(strict);
    strict.send(JSON.stringify({ body: { token: 't-bob' } }));
    strict.send('{"path":"who://am-i"}');
    expect(await done).toEqual([1008, 'Not authenticated']);
    openStrict();
  });

  it('a failed authentication replies AUTH_FAILED and closes with 1008', async () => {
    await start();
    const [client] = await connectTo(fixture.facet, fixture.url);
    const done = closed(client);
    const reply = await request(client, { body: { token: 'forged' }, correlationId: 'x' });
    expect(reply).toMatchObject({ success: false, correlationId: 'x', error: { code: 'AUTH_FAILED' } });
    expect(await done).toEqual([1008, 'Authentication failed']);
  });

  it('a connection that never authenticates is closed at authTimeout', async () => {
    await start({ authTimeout: 200 });
    const [client] = await connectTo(fixture.facet, fixture.url);
    expect(await closed(client)).toEqual([1008, 'Authentication timeout']);
  });

  it('maxConnectionsPerUser limits a user, and counts down on disconnect', async () => {
    await start({ maxConnectionsPerUser: 1 });
    const [first] = await connectTo(fixture.facet, fixture.url);
    expect((await request(first, { body: { token: 't-ada' } })).success).toBe(true);
    const [second] = await connectTo(fixture.facet, fixture.url);
    const secondDone = closed(second);
    expect((await request(second, { body: { token: 't-ada' } })).error.code).toBe('TOO_MANY_CONNECTIONS');
    expect(await secondDone).toEqual([1008, 'Too many connections']);
    const [other] = await connectTo(fixture.facet, fixture.url);
    expect((await request(other, { body: { token: 't-bob' } })).success).toBe(true); // another user is fine
    const firstDone = closed(first);
    first.close();
    await firstDone;
    await expect.poll(async () => {
      const [again] = await connectTo(fixture.facet, fixture.url);
      const ok = (await request(again, { body: { token: 't-ada' } })).success;
      again.terminate();
      return ok;
    }).toBe(true);
    other.terminate();
  });
});

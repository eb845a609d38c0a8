// Seed 002's { id, type: 'request', action, payload } protocol on the facet,
// beside seed 001's envelope, through real ws clients.
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicEvent } from '../../../lib/index.js';
import { closed } from '../helpers/clients.js';
import { connectTo, request, startFacet } from '../helpers/facet.js';

const ask = (client, id, action, payload) => request(client, { id, type: 'request', action, payload });

describe("seed 002's request/response protocol", () => {
  let fixture;
  afterEach(async () => {
    await fixture?.facet.stop({ timeout: 100 });
    fixture = null;
  });

  async function start(config = {}) {
    fixture = await startFacet(config);
    const { facet } = fixture;
    facet.registerMessageHandler('tasks.get/{id}', (message, params) => ({ id: params.id, title: `task ${params.id}`, asked: message.body }));
    facet.registerMessageHandler('tasks.fail', () => ({ success: false, error: { code: 'TASK_LOCKED', message: 'Locked' } }));
    facet.registerMessageHandler('tasks.throw', () => {
      throw new Error('boom');
    });
    return fixture;
  }

  it('a request gets a response with its id and action; handlers and {param} routes are shared with seed 001', async () => {
    await start();
    const [client] = await connectTo(fixture.facet, fixture.url);
    const response = await ask(client, 'r1', 'tasks.get/7', { fields: ['title'] });
    expect(response).toEqual({
      id: 'r1',
      type: 'response',
      action: 'tasks.get/7',
      payload: { id: '7', title: 'task 7', asked: { fields: ['title'] } },
      metadata: { timestamp: expect.any(Number), version: '1.0.0' },
    });
    // The same handler through seed 001, on the same connection.
    expect(await request(client, { path: 'tasks.get/8', correlationId: 'c1' })).toMatchObject({
      success: true,
      correlationId: 'c1',
      data: { id: '8' },
    });
    // A path makes it a seed 001 envelope, whatever its type.
    expect(await request(client, { type: 'request', path: 'tasks.get/9', action: 'x', correlationId: 'c2' })).toMatchObject({
      success: true,
      data: { id: '9' },
    });
    client.terminate();
  });

  it("failures are seed 002's error messages, with the stable codes and no internals", async () => {
    await start();
    const [client] = await connectTo(fixture.facet, fixture.url);
    const expectError = async (id, action, code, message) =>
      expect(await ask(client, id, action, {})).toEqual({
        id,
        type: 'error',
        action: 'error',
        payload: { code, message },
        metadata: { timestamp: expect.any(Number), version: '1.0.0' },
      });
    await expectError('e1', 'no.such.action', 'ROUTE_NOT_FOUND', 'Route not found');
    await expectError('e2', 'tasks.fail', 'TASK_LOCKED', 'Locked');
    await expectError('e3', 'tasks.throw', 'HANDLER_ERROR', 'boom');
    await expectError('e4', 'websocket://broadcast', 'PATH_FORBIDDEN', 'Path websocket://broadcast may not be used by clients');
    client.terminate();
  });

  it('the subscribe and unsubscribe actions are the facet subscriptions, unless the app handles them', async () => {
    await start({ routing: { authorizeSubscribe: (connection, topic) => topic.startsWith('tasks.') } });
    const [client, connection] = await connectTo(fixture.facet, fixture.url);
    expect(await ask(client, 's1', 'subscribe', { topic: 'tasks.update' })).toMatchObject({
      type: 'response',
      payload: { topic: 'tasks.update', subscribed: true },
    });
    expect(connection.isSubscribed('tasks.update')).toBe(true);
    expect(await ask(client, 's2', 'subscribe', { topic: 'admin' })).toMatchObject({
      type: 'error',
      payload: { code: 'SUBSCRIBE_DENIED' },
    });
    const event = new Promise((resolve) => client.once('message', (data) => resolve(JSON.parse(String(data)))));
    fixture.facet.publish('tasks.update', createTopicEvent('tasks.update', { taskId: '123', status: 'completed' }));
    expect(await event).toMatchObject({ type: 'event', action: 'tasks.update', payload: { taskId: '123' } });
    expect(await ask(client, 's3', 'unsubscribe', { topic: 'tasks.update' })).toMatchObject({ payload: { subscribed: false } });
    expect(connection.isSubscribed('tasks.update')).toBe(false);

    fixture.facet.registerMessageHandler('subscribe', () => 'the app decides');
    expect(await ask(client, 's4', 'subscribe', { topic: 'tasks.update' })).toMatchObject({ payload: 'the app decides' });
    expect(connection.isSubscribed('tasks.update')).toBe(false);
    client.terminate();
  });

  it('authentication by first message and the rate limit answer a seed 002 request in its protocol', async () => {
    await start({
      connection: {
        authenticate: (connection, message) => (message.payload?.token === 'good' ? { userId: 'ada' } : false),
        rateLimit: { maxMessages: 2, windowMs: 60_000 },
      },
    });
    const [client] = await connectTo(fixture.facet, fixture.url);
    expect(await ask(client, 'a1', 'authenticate', { token: 'good' })).toMatchObject({
      id: 'a1',
      type: 'response',
      action: 'authenticate',
      payload: { authenticated: true, userId: 'ada' },
    });
    expect(await ask(client, 'r1', 'tasks.get/1', {})).toMatchObject({ id: 'r1', type: 'response' });
    expect(await ask(client, 'r2', 'tasks.get/2', {})).toEqual(
      expect.objectContaining({ id: 'r2', type: 'error', payload: { code: 'RATE_LIMITED', message: 'Too many messages' } }),
    );
    client.terminate();

    const [refused] = await connectTo(fixture.facet, fixture.url);
    const ended = closed(refused);
    expect(await ask(refused, 'a2', 'authenticate', { token: 'bad' })).toMatchObject({
      id: 'a2',
      type: 'error',
      payload: { code: 'AUTH_FAILED' },
    });
    expect((await ended)[0]).toBe(1008);
  });
});

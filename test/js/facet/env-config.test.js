// Seed 004's environment variables as facet config, checked through a real
// facet: path, connection limit and delivery expiry taken from them.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { once } from 'node:events';
import { configFromEnv, createWebSocketFacet, ENV_VARIABLES } from '../../../lib/index.js';

/** Resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
async function upgradeStatus(url) {
  const socket = new WebSocket(url);
  const outcome = await Promise.race([
    once(socket, 'open').then(() => 101),
    once(socket, 'unexpected-response').then(([, response]) => response.statusCode),
  ]);
  if (outcome !== 101) socket.terminate();
  return [outcome, socket];
}

describe('configFromEnv (seed 004 variables)', () => {
  let facet;
  afterEach(async () => {
    await facet?.stop({ timeout: 100 });
    facet = null;
  });

  it('maps each variable to its facet key; unset or empty ones leave the base alone', () => {
    const base = { websocket: { host: '0.0.0.0', port: 1 }, routing: { defaultPath: 'a://b' } };
    const config = configFromEnv(
      {
        WEBSOCKET_PORT: '3001',
        WEBSOCKET_PATH: '/ws-live',
        WEBSOCKET_HEARTBEAT_INTERVAL: '30000',
        WEBSOCKET_HEARTBEAT_TIMEOUT: '10000',
        WEBSOCKET_MAX_CONNECTIONS: '100',
        WEBSOCKET_MESSAGE_QUEUE_SIZE: '50',
        WEBSOCKET_MESSAGE_RETRY_ATTEMPTS: '3',
        WEBSOCKET_MESSAGE_EXPIRY_TIME: '60000',
        WEBSOCKET_HOST: '',
        UNRELATED: 'x',
      },
      base,
    );
    expect(config).toEqual({
      websocket: { host: '0.0.0.0', port: 3001, path: '/ws-live' },
      connection: { pingInterval: 30000, pingTimeout: 10000, maxConnections: 100 },
      routing: { defaultPath: 'a://b' },
      delivery: { queueSize: 50, retries: 3, expiry: 60000 },
    });
    expect(base.websocket.port).toBe(1); // not changed in place
    expect(ENV_VARIABLES).toHaveLength(9);
    expect(configFromEnv({})).toEqual({});
  });

  it('a variable that is not a number is an ERR_HYPHAE_INVALID_OPTION naming it', () => {
    expect(() => configFromEnv({ WEBSOCKET_PORT: '80a' })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('WEBSOCKET_PORT') }),
    );
    expect(() => configFromEnv({ WEBSOCKET_MESSAGE_RETRY_ATTEMPTS: '-1' })).toThrow(/WEBSOCKET_MESSAGE_RETRY_ATTEMPTS/);
  });

  it('a facet made from the variables serves their path, holds their connection limit and expires deliveries on time', async () => {
    facet = createWebSocketFacet(
      configFromEnv({
        WEBSOCKET_HOST: '127.0.0.1',
        WEBSOCKET_PORT: '0',
        WEBSOCKET_PATH: '/live',
        WEBSOCKET_MAX_CONNECTIONS: '1',
        WEBSOCKET_MESSAGE_EXPIRY_TIME: '20',
      }),
    );
    await facet.start();
    const base = `ws://127.0.0.1:${facet.getPort()}`;
    const [opened, first] = await upgradeStatus(`${base}/live`);
    expect(opened).toBe(101);
    expect((await upgradeStatus(`${base}/ws`))[0]).toBe(404);
    expect((await upgradeStatus(`${base}/live`))[0]).toBe(503);
    first.close();
    await expect(facet.deliver('nobody', 'x')).rejects.toMatchObject({ code: 'ERR_HYPHAE_DELIVERY_EXPIRED' });
  });
});

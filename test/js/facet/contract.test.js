import { describe, expect, it } from 'vitest';
import { StandalonePluginSystem, createHook } from 'mycelia-kernel-plugin';
import { websocketContract } from 'mycelia-kernel-plugin/contract/contracts';
import { useNativeWebSocket } from '../../../lib/mycelia.js';
import { createWebSocketFacet } from '../../../lib/index.js';

const config = { websocket: { host: '127.0.0.1', port: 0 } };

describe('the websocket contract, enforced by the real mycelia-kernel-plugin', () => {
  it('builds a system with useNativeWebSocket and exposes the facet', async () => {
    const system = new StandalonePluginSystem('contract-ok', { config });
    system.use(useNativeWebSocket);
    await system.build();
    const facet = system.find('websocket');
    for (const method of websocketContract.requiredMethods) expect(typeof facet[method]).toBe('function');
    // The contract's own validation ran at build time, before any start().
    expect(typeof facet._server).toBe('object');
    expect(facet._server).not.toBe(null);
    expect(facet._isRunning).toBe(false);
    expect(facet._connections).toBeInstanceOf(Map);
    expect(facet.isRunning()).toBe(false);
    expect(facet.getPort()).toBe(null);
    await system.dispose();
  });

  it('the contract lists the 16 methods and 3 properties of seed 000', () => {
    expect(websocketContract.requiredMethods).toHaveLength(16);
    expect(websocketContract.requiredProperties).toEqual(['_server', '_isRunning', '_connections']);
  });

  const missing = [...websocketContract.requiredMethods, ...websocketContract.requiredProperties];
  it.each(missing)('a facet without %s fails the build, naming it', async (name) => {
    const crippled = createHook({
      kind: 'websocket',
      contract: 'websocket',
      attach: true,
      source: import.meta.url,
      fn: (ctx, api, subsystem) => {
        const facet = useNativeWebSocket(ctx, api, subsystem);
        delete facet[name];
        return facet;
      },
    });
    const system = new StandalonePluginSystem(`contract-without-${name}`, { config });
    system.use(crippled);
    await expect(system.build()).rejects.toThrow(name);
  });

  it('createWebSocketFacet (no framework) has the same members', () => {
    const facet = createWebSocketFacet(config);
    for (const method of websocketContract.requiredMethods) expect(typeof facet[method]).toBe('function');
    expect(facet._server).toEqual(expect.any(Object));
    expect(facet._isRunning).toBe(false);
    expect(facet._connections).toBeInstanceOf(Map);
  });
});

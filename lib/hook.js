// The Mycelia hook, built with the classes the application brings (the
// framework checks `facet instanceof Facet`, so they must be its own copy).
import { createFacetMembers } from './facet.js';
import { kernelLocator, registerKernelOperations } from './kernel-bridge.js';
import { ErrorCodes, HyphaeError } from './errors.js';

export const HOOK_VERSION = '0.1.0';

/**
 * @param {{ createHook: Function, Facet: Function }} framework
 * @returns {Function} a hook of kind 'websocket' with contract 'websocket'
 */
export function createNativeWebSocketHook({ createHook, Facet } = {}) {
  if (typeof createHook !== 'function' || typeof Facet !== 'function') {
    throw new HyphaeError(
      ErrorCodes.INVALID_OPTION,
      'createNativeWebSocketHook needs { createHook, Facet } from mycelia-kernel-plugin (or your framework)',
    );
  }
  return createHook({
    kind: 'websocket',
    version: HOOK_VERSION,
    overwrite: false,
    required: [], // router and messages are used when present, never required
    attach: true,
    contract: 'websocket',
    source: import.meta.url,
    fn: (ctx, api, subsystem) => {
      const config = {
        websocket: ctx.config?.websocket,
        connection: ctx.config?.connection,
        routing: ctx.config?.routing,
        delivery: ctx.config?.delivery,
      };
      const { members, dispose } = createFacetMembers(config, { kernel: kernelLocator(ctx, subsystem) });
      let unregisterOperations = null;
      return new Facet('websocket', { attach: true, source: import.meta.url, contract: 'websocket', version: HOOK_VERSION })
        .add(members)
        .onInit(({ subsystem: owner }) => {
          const routerFacet = (owner ?? subsystem)?.find?.('router');
          if (routerFacet && typeof routerFacet.registerRoute === 'function') {
            unregisterOperations = registerKernelOperations(routerFacet, members);
          }
        })
        .onDispose(async () => {
          unregisterOperations?.();
          await dispose();
        });
    },
  });
}

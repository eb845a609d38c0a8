// Kernel mode: inside a Mycelia-style kernel the facet routes incoming
// envelopes through the kernel's message system, and answers the kernel's
// websocket://send|broadcast|close operations for other subsystems. Nothing
// here is required: without these facets the facet runs standalone.

/**
 * Looks the message system up on each call until it is found, since facets
 * may be installed in any order.
 * @returns {() => ({ messages: any, router: any } | null)}
 */
export function kernelLocator(ctx, subsystem) {
  let found = null;
  return () => {
    if (found) return found;
    const messages = subsystem?.find?.('messages');
    const router = ctx?.ms?.find?.('messageSystemRouter');
    if (messages && typeof messages.create === 'function' && router && typeof router.route === 'function') {
      found = { messages, router };
    }
    return found;
  };
}

function bodyOf(message) {
  return message?.body ?? message?.getBody?.() ?? {};
}

function failure(error) {
  return { success: false, error: error instanceof Error ? error.message : String(error) };
}

/**
 * Registers the kernel's websocket:// operations on a router facet.
 * @returns {() => void} unregisters them
 */
export function registerKernelOperations(routerFacet, members) {
  const operations = {
    'websocket://send': async (message) => {
      const { connectionId, message: payload } = bodyOf(message);
      try {
        const bytes = await members.send(connectionId, payload);
        return { success: true, data: { connectionId, bytes } };
      } catch (error) {
        return failure(error);
      }
    },
    'websocket://broadcast': async (message) => {
      const { message: payload, filter } = bodyOf(message);
      try {
        const sent = await members.broadcast(payload, filter);
        return { success: true, data: { sent } };
      } catch (error) {
        return failure(error);
      }
    },
    'websocket://close': async (message) => {
      const { connectionId, code, reason } = bodyOf(message);
      try {
        await members.closeConnection(connectionId, code ?? 1000, reason ?? '');
        return { success: true, data: { connectionId } };
      } catch (error) {
        return failure(error);
      }
    },
  };
  const registered = [];
  for (const [path, handler] of Object.entries(operations)) {
    if (routerFacet.hasRoute?.(path)) continue; // the application's own route wins
    routerFacet.registerRoute(path, handler);
    registered.push(path);
  }
  return () => {
    for (const path of registered) routerFacet.unregisterRoute?.(path);
  };
}

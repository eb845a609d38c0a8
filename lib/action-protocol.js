// Seed 002's request/response protocol beside seed 001's envelope:
//   in:  { id, type: 'request', action, payload, metadata? }
//   out: { id, type: 'response', action, payload, metadata: { timestamp, version } }
//        { id, type: 'error', action: 'error', payload: { code, message }, metadata }
// A request is routed as the envelope { path: action, body: payload,
// correlationId: id }, so one handler table serves both protocols.

const VERSION = '1.0.0';

// Seed 002's subscription actions, when the application has no handler of
// that name, are the facet's own subscription paths.
const ACTION_ALIASES = Object.freeze({ subscribe: 'websocket://subscribe', unsubscribe: 'websocket://unsubscribe' });

/** True for a seed 002 request (and not a seed 001 envelope, which has a path). */
export function isActionRequest(message) {
  return (
    message !== null &&
    typeof message === 'object' &&
    message.type === 'request' &&
    typeof message.action === 'string' &&
    message.path === undefined
  );
}

/**
 * The seed 001 envelope a seed 002 request is routed as.
 * @param {object} request
 * @param {(path: string) => boolean} hasHandler
 */
export function envelopeOfAction(request, hasHandler) {
  const { action } = request;
  const path = Object.hasOwn(ACTION_ALIASES, action) && !hasHandler(action) ? ACTION_ALIASES[action] : action;
  return {
    path,
    body: request.payload ?? {},
    correlationId: request.id ?? null,
    metadata: { traceId: request.metadata?.traceId ?? null, headers: request.metadata?.headers ?? {} },
  };
}

/** A seed 001 reply in seed 002's shape, answering `request`. */
export function actionReply(reply, request) {
  const metadata = { timestamp: reply.metadata?.timestamp ?? Date.now(), version: VERSION };
  const id = request.id ?? null;
  if (reply.success) return { id, type: 'response', action: request.action, payload: reply.data, metadata };
  return { id, type: 'error', action: 'error', payload: { code: reply.error.code, message: reply.error.message }, metadata };
}

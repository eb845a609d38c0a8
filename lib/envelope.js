// The request/reply envelope of seed 001:
//   in:  { path, body, correlationId, metadata: { traceId, headers } }
//   out: { success, data, correlationId, error, metadata: { traceId, timestamp } }
// `error` is null on success, else { code, message } with a stable code.

export const ReplyCodes = Object.freeze({
  INVALID_JSON: 'INVALID_JSON',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  PATH_FORBIDDEN: 'PATH_FORBIDDEN',
  HANDLER_ERROR: 'HANDLER_ERROR',
  HANDLER_FAILED: 'HANDLER_FAILED',
  BINARY_NOT_SUPPORTED: 'BINARY_NOT_SUPPORTED',
  ROUTING_ERROR: 'ROUTING_ERROR',
  SUBSCRIBE_DENIED: 'SUBSCRIBE_DENIED',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  AUTH_FAILED: 'AUTH_FAILED',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  INVALID_TOPIC: 'INVALID_TOPIC',
});

export function errorReply(code, message, correlationId = null, traceId = null) {
  return {
    success: false,
    data: null,
    correlationId,
    error: { code, message },
    metadata: { traceId, timestamp: Date.now() },
  };
}

/**
 * Builds the reply from what a handler returned: `{ success: false, error }`
 * is a failure; `{ data }` replies with data; anything else is the data.
 */
export function resultReply(result, correlationId, traceId) {
  const failed = result !== null && typeof result === 'object' && result.success === false;
  if (failed) {
    const error = result.error;
    const detail =
      error !== null && typeof error === 'object'
        ? { code: String(error.code ?? ReplyCodes.HANDLER_FAILED), message: String(error.message ?? 'Handler failed') }
        : { code: ReplyCodes.HANDLER_FAILED, message: error ? String(error) : 'Handler failed' };
    return { success: false, data: null, correlationId, error: detail, metadata: { traceId, timestamp: Date.now() } };
  }
  const hasData = result !== null && typeof result === 'object' && 'data' in result;
  return {
    success: true,
    data: hasData ? result.data : result ?? null,
    correlationId,
    error: null,
    metadata: { traceId, timestamp: Date.now() },
  };
}

/**
 * Parses an incoming message (a JSON string or an object) into an envelope
 * object, or returns an error reply.
 * @returns {{ envelope?: object, reply?: object }}
 */
export function parseEnvelope(wsMessage) {
  let data = wsMessage;
  if (typeof wsMessage === 'string') {
    try {
      data = JSON.parse(wsMessage);
    } catch {
      return { reply: errorReply(ReplyCodes.INVALID_JSON, 'Invalid JSON message format') };
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { reply: errorReply(ReplyCodes.INVALID_MESSAGE, 'Message must be a JSON object') };
  }
  return { envelope: data };
}

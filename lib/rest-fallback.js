// Seed 004's REST fallback: HTTP endpoints beside the facet for clients
// that cannot hold a WebSocket, and for other services.
//   GET  {prefix}/status                          health (no authentication)
//   POST {prefix}/send                            an envelope, routed as over a connection
//   POST {prefix}/broadcast                       { sessionId, message } to the session's connections
//   GET  {prefix}/connections/session/:sessionId  the session's connections
//   POST {prefix}/notify/operation                { sessionId, operationId, status, details? } as a reliable delivery
// A Node request listener, or Express middleware (it calls next() for
// other paths, and takes an already parsed req.body).
import { ReplyCodes } from './envelope.js';
import { ErrorCodes, invalidOption, unknownOption } from './errors.js';

const OPERATION_STATUSES = ['started', 'progress', 'completed', 'failed'];
const KNOWN = ['prefix', 'authenticate', 'authorize', 'maxBodyBytes'];

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {object} facet from createWebSocketFacet (or the hook's facet)
 * @param {{ prefix?: string, authenticate?: Function, authorize?: Function, maxBodyBytes?: number }} [options]
 *   authenticate(req) → auth or falsy (may be async): every endpoint but status needs it.
 *   authorize(auth, action, { sessionId }) → boolean (may be async): broadcast,
 *   connections and notify are refused (403) without it.
 */
export function createRestFallback(facet, options = {}) {
  if (facet === null || typeof facet !== 'object' || typeof facet.routeRequest !== 'function') {
    throw invalidOption('facet', 'a websocket facet', facet);
  }
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) throw unknownOption(key, KNOWN);
  const { prefix = '/ws-api', authenticate = null, authorize = null, maxBodyBytes = 1024 * 1024 } = options;
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || prefix.endsWith('/')) {
    throw invalidOption('prefix', 'a path starting with "/" and not ending with one', prefix);
  }
  if (authenticate !== null && typeof authenticate !== 'function') throw invalidOption('authenticate', 'a function', authenticate);
  if (authorize !== null && typeof authorize !== 'function') throw invalidOption('authorize', 'a function', authorize);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw invalidOption('maxBodyBytes', 'a positive integer', maxBodyBytes);

  async function authenticated(req) {
    if (!authenticate) throw new HttpError(401, ReplyCodes.UNAUTHENTICATED, 'No authenticate option: only status is served');
    let auth;
    try {
      auth = await authenticate(req);
    } catch (error) {
      throw new HttpError(401, ReplyCodes.AUTH_FAILED, error instanceof Error ? error.message : 'Authentication failed');
    }
    if (!auth) throw new HttpError(401, ReplyCodes.AUTH_FAILED, 'Authentication failed');
    return auth;
  }

  async function authorized(req, action, sessionId) {
    const auth = await authenticated(req);
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new HttpError(400, ReplyCodes.INVALID_MESSAGE, 'sessionId must be a non-empty string');
    }
    if (!authorize || !(await authorize(auth, action, { sessionId }))) {
      throw new HttpError(403, 'FORBIDDEN', `Not allowed to ${action} for session ${sessionId}`);
    }
    return auth;
  }

  const routes = {
    'GET /status': async () => [200, { running: facet.isRunning(), ...facet.getHealth() }],
    'POST /send': async (req) => {
      const auth = await authenticated(req);
      const reply = await facet.routeRequest(await jsonBody(req, maxBodyBytes), { auth });
      return reply === undefined ? [204, null] : [200, reply];
    },
    'POST /broadcast': async (req) => {
      const body = objectBody(await jsonBody(req, maxBodyBytes));
      await authorized(req, 'broadcast', body.sessionId);
      return [200, { sent: await facet.broadcast(body.message, { sessionId: body.sessionId }) }];
    },
    'POST /notify/operation': async (req) => {
      const body = objectBody(await jsonBody(req, maxBodyBytes));
      await authorized(req, 'notify', body.sessionId);
      const { sessionId, operationId, status, details = null } = body;
      if (typeof operationId !== 'string' || operationId === '' || !OPERATION_STATUSES.includes(status)) {
        throw new HttpError(
          400,
          ReplyCodes.INVALID_MESSAGE,
          `operationId must be a non-empty string and status one of ${OPERATION_STATUSES.join(', ')}`,
        );
      }
      // Progress notices of one operation replace each other while they wait.
      const coalesce = status === 'progress' ? `operation:${operationId}:progress` : undefined;
      const delivery = facet.deliver(sessionId, { operationId, status, details }, { type: `operation_${status}`, coalesce });
      // A delivery the outbox refuses fails at once; one it accepted is
      // the facet's to follow, so the answer does not wait for it.
      const outcome = await Promise.race([
        delivery.then(() => 'confirmed', (error) => error),
        new Promise((resolve) => setImmediate(resolve, 'accepted')),
      ]);
      if (outcome instanceof Error) {
        const status = outcome.code === ErrorCodes.DELIVERY_QUEUE_FULL ? 503 : 400;
        throw new HttpError(status, outcome.code, outcome.message);
      }
      return [202, { accepted: true, pending: facet.getPendingDeliveries(sessionId) }];
    },
  };

  return async function restFallback(req, res, next) {
    const url = new URL(req.url ?? '/', 'http://fallback.invalid');
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      if (typeof next === 'function') return next();
      return respond(res, 404, failure('NOT_FOUND', `No endpoint at ${url.pathname}`));
    }
    const rest = url.pathname.slice(prefix.length);
    const sessionMatch = /^\/connections\/session\/([^/]+)$/.exec(rest);
    try {
      if (sessionMatch) {
        if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use GET');
        const sessionId = decodeURIComponent(sessionMatch[1]);
        await authorized(req, 'connections', sessionId);
        const connections = facet
          .getAllConnections()
          .filter((connection) => connection.metadata.sessionId === sessionId)
          .map(({ id, connectedAt, lastActivity, metadata }) => ({ id, connectedAt, lastActivity, userId: metadata.userId ?? null }));
        return respond(res, 200, { sessionId, connections });
      }
      const route = routes[`${req.method} ${rest}`];
      if (!route) {
        const known = Object.keys(routes).some((key) => key.endsWith(` ${rest}`));
        throw known
          ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not served at ${url.pathname}`)
          : new HttpError(404, 'NOT_FOUND', `No endpoint at ${url.pathname}`);
      }
      const [status, body] = await route(req);
      return respond(res, status, body);
    } catch (error) {
      if (error instanceof HttpError) return respond(res, error.status, failure(error.code, error.message));
      return respond(res, 500, failure('INTERNAL_ERROR', 'Internal error'));
    }
  };
}

function failure(code, message) {
  return { success: false, error: { code, message } };
}

function respond(res, status, body) {
  if (body === null) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function objectBody(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, ReplyCodes.INVALID_MESSAGE, 'The body must be a JSON object');
  }
  return body;
}

/** The request's JSON body: Express's parsed req.body, or read here up to `limit` bytes. */
async function jsonBody(req, limit) {
  if (req.body !== undefined && !(req.body instanceof Uint8Array) && typeof req.body !== 'string') return req.body;
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The body is over ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, ReplyCodes.INVALID_JSON, 'The body is not JSON');
  }
}

// A request over the server's REST fallback (seed 004: `createRestFallback`,
// POST {url}/send), for when the WebSocket cannot be had. The reply is the
// same envelope a connection would carry.
import { ErrorCodes, HyphaeError } from '../errors.js';

/**
 * @param {{ url: string, fetch?: Function }} rest
 * @param {string} text the request envelope as JSON
 * @param {{ timeout: number, token: string | null }} how
 * @returns {Promise<object>} the reply envelope (an HTTP refusal's body included)
 */
export async function exchangeOverRest(rest, text, { timeout, token }) {
  const fetchImpl = rest.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new HyphaeError(ErrorCodes.CLIENT_REST_FAILED, 'No fetch in this runtime: pass rest.fetch');
  }
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  let response;
  let body;
  try {
    response = await fetchImpl(`${rest.url}/send`, { method: 'POST', headers, body: text, signal: abort.signal });
    body = await response.text();
  } catch (error) {
    if (abort.signal.aborted) {
      throw new HyphaeError(ErrorCodes.CLIENT_TIMEOUT, `No answer from ${rest.url}/send within ${timeout} ms`);
    }
    throw new HyphaeError(ErrorCodes.CLIENT_REST_FAILED, `POST ${rest.url}/send failed: ${error.message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  let reply;
  try {
    reply = JSON.parse(body);
  } catch {
    reply = null;
  }
  if (reply === null || typeof reply !== 'object' || !('success' in reply || 'type' in reply)) {
    throw new HyphaeError(
      ErrorCodes.CLIENT_REST_FAILED,
      `POST ${rest.url}/send answered ${response.status} without a reply envelope`,
    );
  }
  return reply;
}

/** The bearer token in an `auth` body, when it has one. */
export function tokenOf(authBody) {
  return authBody !== null && typeof authBody === 'object' && typeof authBody.token === 'string' ? authBody.token : null;
}

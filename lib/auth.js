// Where clients put tokens on the upgrade request (seed 002): a query
// parameter, an `Authorization: Bearer` header, or a Sec-WebSocket-Protocol
// entry (browsers cannot set headers, so `new WebSocket(url, ['bearer.<token>'])`).

/**
 * @param {{ query: URLSearchParams, headers: Record<string, string>, protocols: string[] }} request
 *   the request given to the upgrade handler
 * @param {{ query?: string | false, bearer?: boolean, protocolPrefix?: string | false }} [where]
 * @returns {string | null} the first token found, in that order
 */
export function tokenFromRequest(request, { query = 'token', bearer = true, protocolPrefix = 'bearer.' } = {}) {
  if (query) {
    const value = request.query?.get(query);
    if (value) return value;
  }
  if (bearer) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers?.authorization ?? '');
    if (match) return match[1];
  }
  if (protocolPrefix) {
    const entry = (request.protocols ?? []).find((p) => p.startsWith(protocolPrefix) && p.length > protocolPrefix.length);
    if (entry) return entry.slice(protocolPrefix.length);
  }
  return null;
}

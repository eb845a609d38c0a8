// ws's 'headers' event: before an upgrade is accepted, listeners get the
// lines of the 101 response (as ws builds them) and may push their own
// "Name: value" lines, e.g. a Set-Cookie.
import { createHash } from 'node:crypto';
import { ErrorCodes, HyphaeError } from './errors.js';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LINE_BREAK = /[\r\n\0]/;

/**
 * Emits 'headers' (lines, request) on `emitter` and returns the lines the
 * listeners added as [name, value, ...].
 * @param {import('node:events').EventEmitter} emitter
 * @param {{ headers: Record<string, string> }} request
 * @param {string} protocol the subprotocol the verdict chose ('' when none)
 * @param {string[]} headers the verdict's own headers, [name, value, ...]
 */
export function headersFromListeners(emitter, request, protocol, headers) {
  const key = request.headers['sec-websocket-key'] ?? '';
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
  const shown = lines.length;
  emitter.emit('headers', lines, request);
  const added = [];
  for (const line of lines.slice(shown)) {
    const colon = typeof line === 'string' ? line.indexOf(':') : -1;
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (!TOKEN.test(name) || LINE_BREAK.test(value)) {
      throw new HyphaeError(
        ErrorCodes.INVALID_HEADER,
        `A 'headers' listener added ${JSON.stringify(line)}: each line must be "Name: value", on one line`,
      );
    }
    added.push(name, value);
  }
  return added;
}

// Taking a connection over from a Node HTTP server's 'upgrade' event: the
// socket's descriptor for the core, and the request Node has already read,
// as bytes the core parses again as if it had read them itself.
import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import { ErrorCodes, HyphaeError } from './errors.js';

/**
 * The request head as the client sent it (Node keeps names and values as
 * latin1 text, so this is byte-exact), then whatever Node read behind it:
 * `head`, and data the socket buffered if the upgrade was handled later.
 * @param {import('node:http').IncomingMessage} req
 * @param {Buffer | undefined} head
 * @param {import('node:net').Socket} socket
 */
export function upgradeRequestBytes(req, head, socket) {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  text += '\r\n';
  const parts = [Buffer.from(text, 'latin1')];
  if (head && head.length > 0) parts.push(head);
  // read() only when something is buffered: on an empty buffer it would
  // start reading from the socket again.
  if (socket.readableLength > 0) {
    const rest = socket.read();
    if (rest) parts.push(typeof rest === 'string' ? Buffer.from(rest, 'latin1') : rest);
  }
  return Buffer.concat(parts);
}

/**
 * The descriptor of a plain TCP socket. A TLS socket's session lives in
 * Node: the core cannot carry it on.
 * @param {import('node:net').Socket} socket
 * @returns {number}
 */
export function socketDescriptor(socket) {
  if (socket?.encrypted) {
    throw new HyphaeError(
      ErrorCodes.UNSUPPORTED_SOCKET,
      'handleUpgrade() needs a plain TCP socket; for wss://, give hyphae the tls option and its own port',
    );
  }
  const fd = socket?._handle?.fd;
  if (!Number.isInteger(fd) || fd < 0) {
    throw new HyphaeError(ErrorCodes.UNSUPPORTED_SOCKET, 'handleUpgrade() needs an open TCP socket with a descriptor (net.Socket)');
  }
  return fd;
}

/** Answers an upgrade on the Node socket with an HTTP error and drops it. */
export function abortUpgrade(socket, status) {
  if (!socket.writable) return socket.destroy();
  const message = STATUS_CODES[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

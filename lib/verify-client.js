// ws's verifyClient option, as an upgrade(request) handler: ws code that
// vets connections with it keeps working. info is ws's { origin, secure, req }
// with a plain req ({ method, url, headers, socket }); the two-argument form
// answers through cb(result, code?, message?).
import { STATUS_CODES } from 'node:http';
import { peerSocket } from './socket.js';

/**
 * @param {Function} verifyClient
 * @param {boolean} secure whether the server serves wss
 */
export function upgradeFromVerifyClient(verifyClient, secure) {
  return (request) => {
    const req = {
      method: 'GET',
      url: request.url,
      headers: request.headers,
      socket: peerSocket(request.remoteAddress, request.remotePort),
    };
    const info = { origin: request.headers.origin ?? request.headers['sec-websocket-origin'], secure, req };
    if (verifyClient.length < 2) return verifyClient(info) ? true : refusal(401);
    return new Promise((resolve) => {
      verifyClient(info, (result, code = 401, message = undefined) => {
        resolve(result ? true : refusal(code, message));
      });
    });
  };
}

function refusal(code, message) {
  const status = Number.isInteger(code) && code >= 400 && code <= 599 ? code : 401;
  return { status, message: message ?? STATUS_CODES[status] ?? '' };
}

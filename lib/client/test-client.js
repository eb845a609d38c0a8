// Seed 001's test utility: connect, send an envelope, read its reply,
// disconnect. It is the real client on a real socket (no reconnection by
// default), so a test that uses it exercises the server for real.
import { ErrorCodes, HyphaeError } from '../errors.js';
import { HyphaeClient } from './client.js';

/**
 * @param {object} [options] client options other than `url`
 *   (`reconnect` defaults to false here)
 */
export function createTestClient(options = {}) {
  let client = null;
  const received = [];
  const connected = () => {
    if (client === null) throw new HyphaeError(ErrorCodes.CLIENT_NOT_CONNECTED, 'Call connect(url) first');
    return client;
  };
  return {
    /** Opens a connection to `url`; resolves when it is open. */
    async connect(url) {
      if (client !== null) await client.close();
      received.length = 0;
      client = new HyphaeClient({ reconnect: false, ...options, url });
      client.on('message', (message) => received.push(message));
      await client.connect();
      return client;
    },
    /** Sends `{ path, body, ... }` and resolves with the whole reply envelope. */
    send(envelope, requestOptions) {
      return connected().exchange(envelope, requestOptions);
    },
    /** Resolves with the reply's data; rejects on a failure reply. */
    request(path, body, requestOptions) {
      return connected().request(path, body, requestOptions);
    },
    /** Every message that was not a reply, in arrival order. */
    get messages() {
      return received;
    },
    get client() {
      return client;
    },
    /** Closes the connection (1000); resolves once it is closed. */
    async disconnect() {
      await client?.close();
    },
  };
}

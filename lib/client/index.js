// hyphae/client: a client for hyphae's envelope protocol. It imports
// nothing from Node, so it also runs in browsers.
export { HyphaeClient, ClientState } from './client.js';
export { createTestClient } from './test-client.js';
export { reconnectDelay, RECONNECT_DEFAULTS } from './backoff.js';
export { HyphaeError, ErrorCodes } from '../errors.js';

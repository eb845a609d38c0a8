// Public API of hyphae: what this file exports is the whole of it.
export { WebSocketServer } from './server.js';
export { ServerWebSocket, ReadyState } from './socket.js';
export { CloseCodes, isSendableCloseCode } from './close-codes.js';
export { HyphaeError, ErrorCodes } from './errors.js';

// Public API of hyphae: what this file exports is the whole of it
// (plus `hyphae/mycelia`, which needs the optional mycelia-kernel-plugin peer).
export { WebSocketServer } from './server.js';
export { ServerWebSocket, ReadyState } from './socket.js';
export { WebSocketConnection } from './connection.js';
export { createWebSocketFacet, SERVER_ONLY_PATHS } from './facet.js';
export { createNativeWebSocketHook } from './hook.js';
export { ReplyCodes } from './envelope.js';
export { createTopicEvent } from './events.js';
export { configFromEnv, ENV_VARIABLES } from './env-config.js';
export { createRestFallback } from './rest-fallback.js';
export { tokenFromRequest } from './auth.js';
export { CloseCodes, isSendableCloseCode } from './close-codes.js';
export { HyphaeError, ErrorCodes } from './errors.js';

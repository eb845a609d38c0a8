// Errors raised by hyphae carry a stable `code` (listed in docs/errors.md).

export class HyphaeError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'HyphaeError';
    this.code = code;
  }
}

export const ErrorCodes = Object.freeze({
  NATIVE_MISSING: 'ERR_HYPHAE_NATIVE_MISSING',
  INVALID_OPTION: 'ERR_HYPHAE_INVALID_OPTION',
  INVALID_DATA: 'ERR_HYPHAE_INVALID_DATA',
  INVALID_CLOSE_CODE: 'ERR_HYPHAE_INVALID_CLOSE_CODE',
  INVALID_CLOSE_REASON: 'ERR_HYPHAE_INVALID_CLOSE_REASON',
  ALREADY_LISTENING: 'ERR_HYPHAE_ALREADY_LISTENING',
  PROTOCOL: 'ERR_HYPHAE_PROTOCOL',
  INVALID_HANDLER: 'ERR_HYPHAE_INVALID_HANDLER',
  ALREADY_RUNNING: 'ERR_HYPHAE_ALREADY_RUNNING',
  CONNECTION_NOT_FOUND: 'ERR_HYPHAE_CONNECTION_NOT_FOUND',
  CONNECTION_CLOSED: 'ERR_HYPHAE_CONNECTION_CLOSED',
  CONNECTION_NOT_OPEN: 'ERR_HYPHAE_CONNECTION_NOT_OPEN',
  BROADCAST_DISABLED: 'ERR_HYPHAE_BROADCAST_DISABLED',
  DIRECT_SEND_DISABLED: 'ERR_HYPHAE_DIRECT_SEND_DISABLED',
  INVALID_TOPIC: 'ERR_HYPHAE_INVALID_TOPIC',
  INVALID_FILTER: 'ERR_HYPHAE_INVALID_FILTER',
  TLS: 'ERR_HYPHAE_TLS',
  UNSUPPORTED_SOCKET: 'ERR_HYPHAE_UNSUPPORTED_SOCKET',
  ATTACHED: 'ERR_HYPHAE_ATTACHED',
  SEND_DROPPED: 'ERR_HYPHAE_SEND_DROPPED',
  NOT_RUNNING: 'ERR_HYPHAE_NOT_RUNNING',
  INVALID_HEADER: 'ERR_HYPHAE_INVALID_HEADER',
  DELIVERY_QUEUE_FULL: 'ERR_HYPHAE_DELIVERY_QUEUE_FULL',
  DELIVERY_EXPIRED: 'ERR_HYPHAE_DELIVERY_EXPIRED',
  DELIVERY_FAILED: 'ERR_HYPHAE_DELIVERY_FAILED',
  DELIVERY_CANCELLED: 'ERR_HYPHAE_DELIVERY_CANCELLED',
  // hyphae/client
  CLIENT_NO_WEBSOCKET: 'ERR_HYPHAE_CLIENT_NO_WEBSOCKET',
  CLIENT_CLOSED: 'ERR_HYPHAE_CLIENT_CLOSED',
  CLIENT_NOT_CONNECTED: 'ERR_HYPHAE_CLIENT_NOT_CONNECTED',
  CLIENT_CONNECT_FAILED: 'ERR_HYPHAE_CLIENT_CONNECT_FAILED',
  CLIENT_AUTH_FAILED: 'ERR_HYPHAE_CLIENT_AUTH_FAILED',
  CLIENT_DISCONNECTED: 'ERR_HYPHAE_CLIENT_DISCONNECTED',
  CLIENT_TIMEOUT: 'ERR_HYPHAE_CLIENT_TIMEOUT',
  CLIENT_QUEUE_FULL: 'ERR_HYPHAE_CLIENT_QUEUE_FULL',
  CLIENT_REQUEST_FAILED: 'ERR_HYPHAE_CLIENT_REQUEST_FAILED',
  CLIENT_SOCKET: 'ERR_HYPHAE_CLIENT_SOCKET',
  CLIENT_REST_FAILED: 'ERR_HYPHAE_CLIENT_REST_FAILED',
});

export function invalidOption(name, expected, value) {
  return new HyphaeError(
    ErrorCodes.INVALID_OPTION,
    `Option "${name}" must be ${expected}; got ${describe(value)}`,
  );
}

export function unknownOption(name, known) {
  return new HyphaeError(
    ErrorCodes.INVALID_OPTION,
    `Unknown option "${name}"; known options: ${known.join(', ')}`,
  );
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

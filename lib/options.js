// Validation of WebSocketServer options: an unknown or ill-typed option is an
// error naming it, before anything is started.
import { Server as TlsServer } from 'node:tls';
import { invalidOption, unknownOption } from './errors.js';
import { isTlsOption, resolveTls, TLS_EXPECTATION } from './tls.js';
import { upgradeFromVerifyClient } from './verify-client.js';

const HANDLERS = ['upgrade', 'verifyClient', 'handleProtocols', 'open', 'message', 'close', 'error', 'drain', 'ping', 'pong'];

export const DEFAULTS = Object.freeze({
  host: '0.0.0.0',
  port: 0,
  path: undefined,
  threads: 0,
  // Plain connections served on the JS thread after their handshake. The
  // environment variable sets the default (the test suite runs both modes).
  sameThread: process.env.HYPHAE_SAME_THREAD === '1',
  maxPayloadLength: 16 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  handshakeTimeout: 30_000,
  backlog: 511,
  closeTimeout: 5_000,
  maxBackpressure: 16 * 1024 * 1024,
  closeOnBackpressureLimit: false,
  inboundHighWaterMark: 8 * 1024 * 1024,
  allowedOrigins: [],
  maxConnections: 0,
  maxConnectionsPerIp: 0,
  protocols: [],
  idleTimeout: 0,
  pingInterval: 0,
  pingTimeout: 5_000,
  perMessageDeflate: false,
  tls: undefined,
});

const DEFLATE_KEYS = {
  serverMaxWindowBits: (v) => Number.isInteger(v) && v >= 9 && v <= 15,
  clientMaxWindowBits: (v) => Number.isInteger(v) && v >= 9 && v <= 15,
  level: (v) => Number.isInteger(v) && v >= 0 && v <= 9,
  memLevel: (v) => Number.isInteger(v) && v >= 1 && v <= 9,
  threshold: (v) => Number.isInteger(v) && v >= 0,
  serverNoContextTakeover: (v) => typeof v === 'boolean',
  clientNoContextTakeover: (v) => typeof v === 'boolean',
};
const isDeflate = (v) =>
  typeof v === 'boolean' ||
  (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.entries(v).every(([key, value]) => DEFLATE_KEYS[key]?.(value)));
const isStringList = (v) => Array.isArray(v) && v.every((item) => typeof item === 'string' && item.length > 0);
const isInteger = (min, max) => (value) => Number.isInteger(value) && value >= min && value <= max;

// [check, expectation] per option; the facet reuses them for websocket.options.
export const CHECKS = {
  host: [(v) => typeof v === 'string' && v.length > 0, 'a non-empty string'],
  port: [isInteger(0, 65535), 'an integer from 0 to 65535'],
  path: [(v) => v === undefined || (typeof v === 'string' && v.startsWith('/')), 'a string starting with "/"'],
  threads: [isInteger(0, 64), 'an integer from 0 (automatic) to 64'],
  sameThread: [(v) => typeof v === 'boolean', 'a boolean'],
  maxPayloadLength: [isInteger(1, 2 ** 32), 'a positive integer (bytes)'],
  maxHeaderBytes: [isInteger(256, 1024 * 1024), 'an integer from 256 to 1048576 (bytes)'],
  handshakeTimeout: [isInteger(1, 2 ** 31 - 1), 'a positive integer (milliseconds)'],
  backlog: [isInteger(1, 65535), 'an integer from 1 to 65535'],
  closeTimeout: [isInteger(0, 2 ** 31 - 1), 'a non-negative integer (milliseconds)'],
  maxBackpressure: [isInteger(0, 2 ** 48), 'a non-negative integer (bytes; 0 means no limit)'],
  closeOnBackpressureLimit: [(v) => typeof v === 'boolean', 'a boolean'],
  inboundHighWaterMark: [isInteger(64 * 1024, 2 ** 40), 'an integer >= 65536 (bytes)'],
  allowedOrigins: [isStringList, 'an array of origin strings ("https://app.example")'],
  maxConnections: [isInteger(0, 2 ** 31), 'a non-negative integer (0 means no limit)'],
  maxConnectionsPerIp: [isInteger(0, 2 ** 31), 'a non-negative integer (0 means no limit)'],
  protocols: [isStringList, 'an array of subprotocol names, preferred first'],
  idleTimeout: [isInteger(0, 2 ** 31 - 1), 'a non-negative integer (milliseconds; 0 means never)'],
  pingInterval: [isInteger(0, 2 ** 31 - 1), 'a non-negative integer (milliseconds; 0 means no heartbeat)'],
  pingTimeout: [isInteger(1, 2 ** 31 - 1), 'a positive integer (milliseconds)'],
  tls: [(v) => v === undefined || isTlsOption(v), TLS_EXPECTATION],
  // Attach to a Node HTTP server (its 'upgrade' event) instead of listening.
  server: [
    (v) => v !== null && typeof v === 'object' && typeof v.on === 'function' && typeof v.removeListener === 'function' && !(v instanceof TlsServer),
    'a plain http.Server (an https server\'s TLS sessions cannot be taken over: use the tls option on a port of its own)',
  ],
  noServer: [(v) => typeof v === 'boolean', 'a boolean'],
  // ws's option, accepted for drop-in configs: connections are always tracked.
  clientTracking: [(v) => typeof v === 'boolean', 'a boolean'],
  perMessageDeflate: [isDeflate, 'false, true or { serverMaxWindowBits 9-15, clientMaxWindowBits 9-15, level 0-9, memLevel 1-9, threshold bytes, serverNoContextTakeover, clientNoContextTakeover }'],
};

// ws's names for options hyphae calls otherwise, accepted as they are.
const WS_ALIASES = { maxPayload: 'maxPayloadLength' };

/**
 * @param {Record<string, unknown>} [options]
 * @returns {{ settings: Record<string, any>, handlers: Record<string, Function> }}
 */
export function resolveServerOptions(options = {}) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOption('options', 'an object', options);
  }
  const settings = { ...DEFAULTS };
  const handlers = {};
  for (const [given, value] of Object.entries(options)) {
    const name = WS_ALIASES[given] ?? given;
    if (name !== given && options[name] !== undefined && value !== undefined) {
      throw invalidOption(given, `left out when "${name}" is given (it is ws's name for it)`, value);
    }
    if (HANDLERS.includes(name)) {
      if (value === undefined) continue;
      if (typeof value !== 'function') throw invalidOption(name, 'a function', value);
      handlers[name] = value;
      continue;
    }
    const check = CHECKS[name];
    if (!check) throw unknownOption(name, [...Object.keys(CHECKS), ...HANDLERS]);
    if (value === undefined) continue;
    if (!check[0](value)) throw invalidOption(name, check[1], value);
    settings[name] = value;
  }
  if (settings.tls !== undefined) settings.tls = resolveTls(settings.tls);
  delete settings.clientTracking; // checked, and nothing else to do with it
  if (handlers.verifyClient) {
    if (handlers.upgrade) throw invalidOption('verifyClient', 'left out when "upgrade" is given (both decide upgrades)', handlers.verifyClient);
    handlers.upgrade = upgradeFromVerifyClient(handlers.verifyClient, settings.tls !== undefined);
    delete handlers.verifyClient;
  }
  checkAttachment(options);
  return { settings, handlers };
}

// With `server` or `noServer` the HTTP server owns the port (and any TLS).
const LISTENING_ONLY = ['host', 'port', 'backlog', 'tls'];

function checkAttachment(options) {
  const attached = options.server !== undefined ? 'server' : options.noServer === true ? 'noServer' : null;
  if (attached === null) return;
  if (options.server !== undefined && options.noServer === true) {
    throw invalidOption('noServer', 'left out when "server" is given', true);
  }
  for (const name of LISTENING_ONLY) {
    if (options[name] !== undefined) throw invalidOption(name, `left out with "${attached}": the HTTP server listens`, options[name]);
  }
}

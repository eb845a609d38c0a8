// Configuration of the Mycelia websocket facet, shaped as seed 001:
//   websocket  { type, port, host, path, options: { maxPayload, perMessageDeflate, ... } }
//   connection { maxConnections, connectionTimeout, pingInterval, pingTimeout, generateConnectionId }
//   routing    { defaultPath, enableBroadcast, enableDirectSend, transformIncoming, transformOutgoing }
// Every key is checked; an unknown or ill-typed one is an error naming it.
import { randomUUID } from 'node:crypto';
import { invalidOption, unknownOption } from './errors.js';
import { CHECKS as SERVER_CHECKS, DEFAULTS as SERVER_DEFAULTS } from './options.js';

const isString = (v) => typeof v === 'string' && v.length > 0;
const isPort = (v) => Number.isInteger(v) && v >= 0 && v <= 65535;
const isPositiveInt = (v) => Number.isInteger(v) && v > 0;
const isNonNegativeInt = (v) => Number.isInteger(v) && v >= 0;
const isBool = (v) => typeof v === 'boolean';
const isFunction = (v) => typeof v === 'function';
const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRateLimit = (v) =>
  isPlainObject(v) &&
  isPositiveInt(v.maxMessages) &&
  isPositiveInt(v.windowMs) &&
  (v.action === undefined || v.action === 'reply' || v.action === 'close') &&
  Object.keys(v).every((key) => ['maxMessages', 'windowMs', 'action'].includes(key));

// [check, expectation, default]
const WEBSOCKET = {
  // 'ws' and 'uws' are accepted so configs written for other hooks work
  // unchanged; hyphae serves them all with its native core.
  type: [(v) => ['hyphae', 'native', 'ws', 'uws'].includes(v), 'one of "hyphae", "native", "ws", "uws"', 'hyphae'],
  port: [isPort, 'an integer from 0 to 65535', 8080],
  host: [isString, 'a non-empty string', '0.0.0.0'],
  path: [(v) => typeof v === 'string' && v.startsWith('/'), 'a string starting with "/"', '/ws'],
  logger: [(v) => isPlainObject(v) && isFunction(v.error), 'an object with an error() method', console],
};

// websocket.options: the server's own checks and defaults (lib/options.js),
// under the names seed 001 uses where they differ.
const fromServer = (name, fallback = SERVER_DEFAULTS[name]) => [...SERVER_CHECKS[name], fallback];
const SERVER_OPTIONS = {
  maxPayload: fromServer('maxPayloadLength', 1024 * 1024),
  perMessageDeflate: fromServer('perMessageDeflate'),
  clientTracking: [isBool, 'a boolean', true], // accepted; connections are always tracked
  threads: fromServer('threads'),
  sameThread: fromServer('sameThread'),
  maxHeaderBytes: fromServer('maxHeaderBytes'),
  backlog: fromServer('backlog'),
  closeTimeout: fromServer('closeTimeout'),
  maxBackpressure: fromServer('maxBackpressure'),
  closeOnBackpressureLimit: fromServer('closeOnBackpressureLimit'),
  inboundHighWaterMark: fromServer('inboundHighWaterMark'),
  tls: fromServer('tls'),
  allowedOrigins: fromServer('allowedOrigins'),
  maxConnectionsPerIp: fromServer('maxConnectionsPerIp'),
  protocols: fromServer('protocols'),
  idleTimeout: fromServer('idleTimeout'),
};

const CONNECTION = {
  // Upgrades beyond maxConnections get HTTP 503; the heartbeat drops peers
  // that answer no ping within pingTimeout (pingInterval 0: off).
  maxConnections: [isPositiveInt, 'a positive integer', 1000],
  connectionTimeout: [isPositiveInt, 'a positive integer (milliseconds)', 30_000],
  pingInterval: [isNonNegativeInt, 'a non-negative integer (milliseconds)', 25_000],
  pingTimeout: [isNonNegativeInt, 'a non-negative integer (milliseconds)', 5_000],
  generateConnectionId: [isFunction, 'a function', () => randomUUID()],
  // Seed 001's per-connection limit: over maxMessages in windowMs, reply
  // RATE_LIMITED (action 'reply') or close with 1008 (action 'close').
  // Seed 004's authentication by first message (docs/facet.md).
  authenticate: [isFunction, 'a function (connection, message) => result | Promise', null],
  authTimeout: [isPositiveInt, 'a positive integer (milliseconds)', 10_000],
  onUnauthenticated: [(v) => v === 'reply' || v === 'close', '"reply" or "close"', 'reply'],
  maxConnectionsPerUser: [isNonNegativeInt, 'a non-negative integer (0 means no limit)', 0],
  rateLimit: [isRateLimit, 'an object { maxMessages: integer > 0, windowMs: integer > 0, action?: "reply" | "close" }', null],
};

const ROUTING = {
  defaultPath: [isString, 'a non-empty string', 'websocket://message'],
  enableBroadcast: [isBool, 'a boolean', true],
  enableDirectSend: [isBool, 'a boolean', true],
  transformIncoming: [isFunction, 'a function', null],
  transformOutgoing: [isFunction, 'a function', null],
  // Gate for client subscriptions (websocket://subscribe); without it they
  // are refused.
  authorizeSubscribe: [isFunction, 'a function', null],
  // Seed 002's replay of missed messages: topic events kept per topic for
  // clients that resubscribe with `since` (0: none kept).
  topicHistory: [isNonNegativeInt, 'a non-negative integer', 0],
};

// Seed 004's reliable delivery (lib/delivery.js): who a connection receives
// for, and how long and how often a delivery is tried.
const DELIVERY = {
  keyOf: [isFunction, 'a function (connection) => key | null', (c) => c.metadata.sessionId ?? c.metadata.userId ?? null],
  expiry: [(v) => isPositiveInt(v) && v <= 2 ** 31 - 1, 'a positive integer (milliseconds)', 60_000],
  retries: [isNonNegativeInt, 'a non-negative integer', 3],
  queueSize: [isPositiveInt, 'a positive integer', 50],
};

function resolveSection(name, given, schema) {
  if (given === undefined || given === null) given = {};
  if (!isPlainObject(given)) throw invalidOption(name, 'an object', given);
  const resolved = {};
  for (const [key, [, , fallback]] of Object.entries(schema)) resolved[key] = fallback;
  for (const [key, value] of Object.entries(given)) {
    const rule = schema[key];
    if (!rule) throw unknownOption(`${name}.${key}`, Object.keys(schema).map((k) => `${name}.${k}`));
    if (value === undefined) continue;
    if (!rule[0](value)) throw invalidOption(`${name}.${key}`, rule[1], value);
    resolved[key] = value;
  }
  return resolved;
}

/**
 * @param {{ websocket?: object, connection?: object, routing?: object, delivery?: object }} config
 *   The websocket section may also hold `connection` and `routing` itself.
 */
export function resolveFacetConfig(config = {}) {
  if (!isPlainObject(config)) throw invalidOption('config', 'an object', config);
  for (const key of Object.keys(config)) {
    if (!['websocket', 'connection', 'routing', 'delivery'].includes(key)) {
      throw unknownOption(key, ['websocket', 'connection', 'routing', 'delivery']);
    }
  }
  const { options, connection, routing, ...websocketOnly } = isPlainObject(config.websocket) ? config.websocket : {};
  if (config.websocket !== undefined && !isPlainObject(config.websocket)) {
    throw invalidOption('websocket', 'an object', config.websocket);
  }
  return {
    websocket: resolveSection('websocket', websocketOnly, WEBSOCKET),
    options: resolveSection('websocket.options', options, SERVER_OPTIONS),
    connection: resolveSection('connection', { ...connection, ...config.connection }, CONNECTION),
    routing: resolveSection('routing', { ...routing, ...config.routing }, ROUTING),
    delivery: resolveSection('delivery', config.delivery, DELIVERY),
  };
}

/** Start-time overrides: `start({ port, host, path, callback })`. */
export function resolveStartOptions(options, websocket) {
  if (options === undefined || options === null) options = {};
  if (!isPlainObject(options)) throw invalidOption('start options', 'an object', options);
  const merged = { port: websocket.port, host: websocket.host, path: websocket.path, callback: null };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'callback') {
      if (!isFunction(value)) throw invalidOption('callback', 'a function', value);
      merged.callback = value;
    } else if (key in WEBSOCKET && key !== 'type' && key !== 'logger') {
      if (!WEBSOCKET[key][0](value)) throw invalidOption(key, WEBSOCKET[key][1], value);
      merged[key] = value;
    } else {
      throw unknownOption(key, ['port', 'host', 'path', 'callback']);
    }
  }
  return merged;
}

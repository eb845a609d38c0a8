// The client's options, checked once at construction: a mistake is an
// ERR_HYPHAE_INVALID_OPTION there, not a surprise at the first reconnect.
import { invalidOption, unknownOption } from '../errors.js';
import { reconnectOptions } from './backoff.js';
import { priorityRank } from '../priorities.js';
import { HEARTBEAT_DEFAULTS } from './heartbeat.js';

const KNOWN = [
  'url',
  'protocols',
  'WebSocket',
  'auth',
  'authPath',
  'reconnect',
  'timeout',
  'retries',
  'queueSize',
  'rest',
  'heartbeat',
];

/**
 * @param {object} options
 * @returns {object} the options with every default filled in
 */
export function clientOptions(options) {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) throw unknownOption(key, KNOWN);
  const { url, protocols, WebSocket, auth, authPath = 'websocket://authenticate' } = options;
  if (!(typeof url === 'string' || url instanceof URL)) throw invalidOption('url', 'a string or a URL', url);
  if (protocols !== undefined && typeof protocols !== 'string' && !isStringArray(protocols)) {
    throw invalidOption('protocols', 'a string or an array of strings', protocols);
  }
  if (WebSocket !== undefined && typeof WebSocket !== 'function') {
    throw invalidOption('WebSocket', 'a WebSocket constructor', WebSocket);
  }
  if (typeof authPath !== 'string' || authPath === '') throw invalidOption('authPath', 'a non-empty string', authPath);
  const { rest } = options;
  if (rest !== undefined) {
    const valid =
      rest !== null &&
      typeof rest === 'object' &&
      (typeof rest.url === 'string' || rest.url instanceof URL) &&
      (rest.fetch === undefined || typeof rest.fetch === 'function') &&
      Object.keys(rest).every((key) => key === 'url' || key === 'fetch');
    if (!valid) throw invalidOption('rest', 'an object { url, fetch? }', rest);
  }
  return {
    url: String(url),
    heartbeat: heartbeatOptions(options.heartbeat),
    rest: rest === undefined ? null : { url: String(rest.url).replace(/\/+$/, ''), fetch: rest.fetch },
    protocols,
    WebSocket,
    auth,
    authPath,
    reconnect: reconnectOptions(options.reconnect),
    timeout: positiveInteger('timeout', options.timeout, 60_000),
    retries: count('retries', options.retries, 0),
    queueSize: count('queueSize', options.queueSize, 50),
  };
}

const REQUEST_KNOWN = ['timeout', 'retries', 'priority', 'metadata'];

/** Checks a request's `timeout`, `retries` and `priority`, falling back to the client's. */
export function requestLimits(options, client) {
  if (options === null || typeof options !== 'object') throw invalidOption('request options', 'an object', options);
  for (const key of Object.keys(options)) if (!REQUEST_KNOWN.includes(key)) throw unknownOption(key, REQUEST_KNOWN);
  const rank = priorityRank(options.priority ?? 'normal');
  return {
    timeout: positiveInteger('timeout', options.timeout, client.timeout),
    retries: count('retries', options.retries, client.retries),
    rank,
  };
}

/** `heartbeat`: false (default), true (seed 004's 30 s / 10 s) or { interval, timeout }. */
function heartbeatOptions(value) {
  if (value === undefined || value === false) return null;
  if (value === true) return { ...HEARTBEAT_DEFAULTS };
  if (value === null || typeof value !== 'object') throw invalidOption('heartbeat', 'a boolean or an object', value);
  for (const key of Object.keys(value)) {
    if (!['interval', 'timeout'].includes(key)) throw unknownOption(`heartbeat.${key}`, ['interval', 'timeout']);
  }
  return {
    interval: positiveInteger('heartbeat.interval', value.interval, HEARTBEAT_DEFAULTS.interval),
    timeout: positiveInteger('heartbeat.timeout', value.timeout, HEARTBEAT_DEFAULTS.timeout),
  };
}

function positiveInteger(name, value, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > 2 ** 31 - 1) {
    throw invalidOption(name, 'an integer of milliseconds from 1 to 2^31-1', value);
  }
  return value;
}

function count(name, value, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw invalidOption(name, 'an integer >= 0', value);
  return value;
}

function isStringArray(value) {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

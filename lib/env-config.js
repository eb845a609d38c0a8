// Seed 004's configuration by environment variables, as facet config.
// Variables that are set override the same keys of `base`; unset ones
// leave them (and so the facet's defaults) alone.
import { ErrorCodes, HyphaeError } from './errors.js';

// variable → [section, key, parse]
const VARIABLES = {
  WEBSOCKET_HOST: ['websocket', 'host', text],
  WEBSOCKET_PORT: ['websocket', 'port', integer],
  WEBSOCKET_PATH: ['websocket', 'path', text],
  WEBSOCKET_HEARTBEAT_INTERVAL: ['connection', 'pingInterval', integer],
  WEBSOCKET_HEARTBEAT_TIMEOUT: ['connection', 'pingTimeout', integer],
  WEBSOCKET_MAX_CONNECTIONS: ['connection', 'maxConnections', integer],
  WEBSOCKET_MESSAGE_QUEUE_SIZE: ['delivery', 'queueSize', integer],
  WEBSOCKET_MESSAGE_RETRY_ATTEMPTS: ['delivery', 'retries', integer],
  WEBSOCKET_MESSAGE_EXPIRY_TIME: ['delivery', 'expiry', integer],
};

export const ENV_VARIABLES = Object.freeze(Object.keys(VARIABLES));

/**
 * @param {Record<string, string | undefined>} [env] default process.env
 * @param {object} [base] facet config the variables override
 * @returns {object} facet config (seed 001 shape); the facet checks ranges
 */
export function configFromEnv(env = process.env, base = {}) {
  const config = {};
  for (const [section, value] of Object.entries(base)) {
    config[section] = value !== null && typeof value === 'object' ? { ...value } : value;
  }
  for (const [variable, [section, key, parse]] of Object.entries(VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    config[section] = { ...config[section], [key]: parse(variable, raw) };
  }
  return config;
}

function text(variable, raw) {
  return raw.trim();
}

function integer(variable, raw) {
  if (!/^\s*\d+\s*$/.test(raw)) {
    throw new HyphaeError(
      ErrorCodes.INVALID_OPTION,
      `Environment variable ${variable} must be a non-negative integer; got ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

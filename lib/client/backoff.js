// When to try again after a lost connection: exponential backoff with
// jitter, so that clients dropped together by a restart do not all return
// in the same instant.
import { invalidOption, unknownOption } from '../errors.js';

export const RECONNECT_DEFAULTS = Object.freeze({
  enabled: true,
  initialDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/**
 * The delay before reconnection attempt `attempt` (0 for the first):
 * `initialDelay * factor^attempt`, capped at `maxDelay`, then lowered by up
 * to `jitter` of itself at random, so it lies in [base * (1 - jitter), base].
 * @param {number} attempt
 * @param {typeof RECONNECT_DEFAULTS} options
 * @param {() => number} [random] in [0, 1)
 */
export function reconnectDelay(attempt, options, random = Math.random) {
  const base = Math.min(options.maxDelay, options.initialDelay * options.factor ** attempt);
  return Math.round(base * (1 - options.jitter * random()));
}

/**
 * Reads the client's `reconnect` option: `false`, `true` or an object of
 * the fields in RECONNECT_DEFAULTS plus `shouldReconnect(code, reason)`.
 */
export function reconnectOptions(value) {
  if (value === undefined || value === true) return { ...RECONNECT_DEFAULTS, shouldReconnect: reconnectsAfter };
  if (value === false) return { ...RECONNECT_DEFAULTS, enabled: false, shouldReconnect: reconnectsAfter };
  if (value === null || typeof value !== 'object') throw invalidOption('reconnect', 'a boolean or an object', value);
  const known = [...Object.keys(RECONNECT_DEFAULTS), 'shouldReconnect'];
  for (const key of Object.keys(value)) if (!known.includes(key)) throw unknownOption(`reconnect.${key}`, known);
  const options = { ...RECONNECT_DEFAULTS, shouldReconnect: reconnectsAfter, ...value };
  if (typeof options.enabled !== 'boolean') throw invalidOption('reconnect.enabled', 'a boolean', options.enabled);
  for (const key of ['initialDelay', 'maxDelay']) {
    if (!Number.isFinite(options[key]) || options[key] < 0) throw invalidOption(`reconnect.${key}`, 'a number >= 0', options[key]);
  }
  if (!Number.isFinite(options.factor) || options.factor < 1) throw invalidOption('reconnect.factor', 'a number >= 1', options.factor);
  if (!(options.jitter >= 0 && options.jitter <= 1)) throw invalidOption('reconnect.jitter', 'a number from 0 to 1', options.jitter);
  if (!(options.maxAttempts === Infinity || (Number.isInteger(options.maxAttempts) && options.maxAttempts >= 0))) {
    throw invalidOption('reconnect.maxAttempts', 'an integer >= 0 or Infinity', options.maxAttempts);
  }
  if (typeof options.shouldReconnect !== 'function') {
    throw invalidOption('reconnect.shouldReconnect', 'a function', options.shouldReconnect);
  }
  return options;
}

// Close codes after which coming back would meet the same answer: a normal
// close the server chose, a policy refusal (authentication, limits), and
// data the server could not take. Every other close (1001 going away, 1006
// lost, 1011 server error, 1012 restart, 1013 try again later...) is worth
// another attempt.
const FINAL_CLOSE_CODES = new Set([1000, 1002, 1003, 1007, 1008, 1009, 1010]);

/** The default `reconnect.shouldReconnect`. */
export function reconnectsAfter(code) {
  return !FINAL_CLOSE_CODES.has(code);
}

// The `tls` option: PEM material for wss. Checked with Node's own TLS code
// when the server is created, so a bad key or passphrase fails at once with
// a clear error instead of at listen() or at the first handshake.
import { createSecureContext } from 'node:tls';
import { HyphaeError, ErrorCodes, invalidOption } from './errors.js';

const KEYS = ['cert', 'key', 'ca', 'passphrase', 'requestCert'];
const isPem = (v) => typeof v === 'string' || Buffer.isBuffer(v);

export const TLS_EXPECTATION =
  '{ cert, key } (PEM strings or Buffers) with optional ca (PEM, or an array of them), passphrase (string) and requestCert (boolean, needs ca)';

/** The shape check used by the option table. */
export function isTlsOption(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (!Object.keys(value).every((key) => KEYS.includes(key))) return false;
  if (!isPem(value.cert) || !isPem(value.key)) return false;
  if (value.ca !== undefined && !isPem(value.ca) && !(Array.isArray(value.ca) && value.ca.every(isPem))) return false;
  if (value.passphrase !== undefined && typeof value.passphrase !== 'string') return false;
  if (value.requestCert !== undefined && typeof value.requestCert !== 'boolean') return false;
  if (value.requestCert && value.ca === undefined) return false;
  return true;
}

/**
 * Loads the material with Node's TLS code (throws ERR_HYPHAE_TLS naming the
 * cause) and returns the plain-string form the native core takes.
 */
export function resolveTls(value) {
  if (!isTlsOption(value)) throw invalidOption('tls', TLS_EXPECTATION, value);
  try {
    createSecureContext({ cert: value.cert, key: value.key, ca: value.ca, passphrase: value.passphrase });
  } catch (cause) {
    throw new HyphaeError(ErrorCodes.TLS, `Invalid tls option: ${cause.message}`, { cause });
  }
  const text = (pem) => (Buffer.isBuffer(pem) ? pem.toString('latin1') : pem);
  const ca = value.ca === undefined ? '' : [value.ca].flat().map(text).join('\n');
  return {
    cert: text(value.cert),
    key: text(value.key),
    ca,
    passphrase: value.passphrase ?? '',
    requestCert: value.requestCert ?? false,
  };
}

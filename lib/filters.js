// Broadcast filters. A function is called per connection; an object matches
// connections by metadata (or per-connection data): { userId: 'u1' } needs
// equality, { roles: ['admin', 'ops'] } any of the listed values, and an
// array-valued field matches when any of its values is listed.
import { ErrorCodes, HyphaeError } from './errors.js';

/** @returns {((connection: any) => boolean) | null} */
export function compileFilter(filter) {
  if (filter === undefined || filter === null) return null;
  if (typeof filter === 'function') return filter;
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new HyphaeError(ErrorCodes.INVALID_FILTER, 'broadcast filter must be a function or an object of metadata fields');
  }
  const entries = Object.entries(filter);
  return (connection) => entries.every(([key, wanted]) => fieldMatches(fieldOf(connection, key), wanted));
}

function fieldOf(connection, key) {
  if (connection.metadata && key in connection.metadata) return connection.metadata[key];
  const data = connection.data;
  return data !== null && typeof data === 'object' ? data[key] : undefined;
}

function fieldMatches(actual, wanted) {
  const accepted = Array.isArray(wanted) ? wanted : [wanted];
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((value) => accepted.includes(value));
}

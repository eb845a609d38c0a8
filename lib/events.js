// Seed 002's event message, for publishing to subscribers:
//   { id, type: 'event', action: topic, payload, metadata: { timestamp, version } }
import { randomUUID } from 'node:crypto';

/**
 * @param {string} topic
 * @param {unknown} payload
 * @param {{ id?: string, version?: string }} [options]
 */
export function createTopicEvent(topic, payload, { id = randomUUID(), version = '1.0' } = {}) {
  return { id, type: 'event', action: topic, payload, metadata: { timestamp: Date.now(), version } };
}

// Seed 004's message priorities, shared by the facet's reliable deliveries
// and hyphae/client's queue: a lower rank goes out first. No Node imports:
// hyphae/client uses this file in browsers too.
import { invalidOption } from './errors.js';

export const PRIORITY_RANK = Object.freeze({ high: 0, normal: 1, low: 2 });

/** The rank of a `priority` option; an unknown name is ERR_HYPHAE_INVALID_OPTION. */
export function priorityRank(priority) {
  if (!Object.hasOwn(PRIORITY_RANK, priority)) throw invalidOption('priority', '"high", "normal" or "low"', priority);
  return PRIORITY_RANK[priority];
}

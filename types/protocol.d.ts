// Message shapes shared by hyphae and hyphae/client. No Node types here.

/** Seed 002's topic event, as `createTopicEvent` builds it. */
export interface TopicEvent<Payload = unknown> {
  id: string;
  type: 'event';
  action: string;
  payload: Payload;
  metadata: { timestamp: number; version: string };
}

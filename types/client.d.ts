// Typings of `hyphae/client`. No Node or DOM types: the client runs in
// browsers and in Node, on any WHATWG-style WebSocket.
import type { HyphaeError } from './errors.js';
import type { TopicEvent } from './protocol.js';

export { ErrorCodes, HyphaeError, type ErrorCode } from './errors.js';

/** What the client needs of a WebSocket: the WHATWG interface's core. */
export interface WebSocketLike {
  binaryType: string;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void, options?: { once?: boolean }): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ReconnectOptions {
  /** Default true. */
  enabled?: boolean;
  /** ms before the first new attempt; default 500. */
  initialDelay?: number;
  /** Cap on the delay; default 30000. */
  maxDelay?: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** Up to this share of each delay is taken off at random (0–1); default 0.5. */
  jitter?: number;
  /** Failed attempts in a row before giving up; default Infinity. */
  maxAttempts?: number;
  /** After an open connection closed: try again? Default: not after 1000, 1002, 1003, 1007, 1008, 1009, 1010. */
  shouldReconnect?: (code: number, reason: string) => boolean;
}

export interface ClientOptions {
  /** A string, or a URL object. */
  url: string | { readonly href: string };
  protocols?: string | string[];
  /** Default: globalThis.WebSocket, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Sent as `{ path: authPath, body }` first on every connection; a function is asked each time. */
  auth?: unknown | (() => unknown | Promise<unknown>);
  /** Default "websocket://authenticate". */
  authPath?: string;
  /** true (default), false, or the backoff's settings. */
  reconnect?: boolean | ReconnectOptions;
  /** ms from a request's call to its reply, queueing and retries included; default 60000. */
  timeout?: number;
  /** Times a request is sent again when its connection drops before the reply; default 0. */
  retries?: number;
  /** Requests that may wait for a connection; default 50. */
  queueSize?: number;
  /**
   * Seed 004's REST fallback (the server's createRestFallback): once a
   * WebSocket attempt failed, requests are POSTed to `${url}/send`, with
   * `auth.token` as a bearer token, until a connection opens.
   */
  rest?: { url: string | { readonly href: string }; fetch?: (url: string, init: any) => Promise<any> };
  /**
   * Seed 004's heartbeat: a websocket://heartbeat request every `interval`
   * ms; no reply within `timeout` ms gives the connection up (close 1006
   * "Heartbeat timeout") and reconnects. true: 30000 / 10000. Default off.
   */
  heartbeat?: boolean | { interval?: number; timeout?: number };
}

export interface RequestOptions {
  timeout?: number;
  retries?: number;
  /** Order of the queue when a connection opens; default "normal". */
  priority?: 'high' | 'normal' | 'low';
  metadata?: { traceId?: string; headers?: Record<string, string>; [key: string]: unknown };
}

/** Seed 001's reply envelope. */
export interface ReplyEnvelope<T = unknown> {
  success: boolean;
  data: T | null;
  correlationId: string | number | null;
  error: { code: string; message: string } | null;
  metadata?: { traceId?: string | null; timestamp?: number };
}

export type { TopicEvent } from './protocol.js';

export interface SubscribeResult {
  topic: string;
  subscribed: boolean;
  changed: boolean;
  /** On a resubscription with a server keeping topicHistory: events replayed before this answer. */
  replayed?: number;
  /** False when the history no longer reached back to the last event seen: some may be lost. */
  complete?: boolean;
}

export declare const ClientState: {
  readonly IDLE: 'idle';
  readonly CONNECTING: 'connecting';
  readonly AUTHENTICATING: 'authenticating';
  readonly OPEN: 'open';
  readonly RECONNECTING: 'reconnecting';
  readonly DISCONNECTED: 'disconnected';
  readonly CLOSED: 'closed';
};
export type ClientStateName = (typeof ClientState)[keyof typeof ClientState];

export interface ClientEvents {
  open: [info: { reconnected: boolean; auth: unknown }];
  close: [info: { code: number; reason: string; wasOpen: boolean }];
  reconnecting: [info: { attempt: number; delay: number; code: number; reason: string }];
  disconnected: [error: HyphaeError];
  state: [state: ClientStateName, previous: ClientStateName];
  /** Every message that is not a reply: parsed JSON, other text, or binary as an ArrayBuffer. */
  message: [message: unknown];
  event: [event: TopicEvent];
  error: [error: Error];
  /** A heartbeat answered, with its round trip in ms. */
  heartbeat: [info: { rtt: number }];
}

/** A request whose reply said `success: false`. */
export interface RequestFailedError extends HyphaeError {
  readonly replyCode: string | null;
  readonly reply: ReplyEnvelope;
}

export declare class HyphaeClient {
  constructor(options: ClientOptions);
  readonly state: ClientStateName;
  readonly url: string;
  /** The `data` of the server's authentication reply, or null. */
  readonly auth: unknown;
  readonly topics: string[];
  readonly pendingRequests: number;
  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): () => void;
  off<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): void;
  connect(): Promise<void>;
  request<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  exchange<T = unknown>(
    message: { path: string; body?: unknown; correlationId?: string | number; [key: string]: unknown },
    options?: RequestOptions,
  ): Promise<ReplyEnvelope<T>>;
  send(data: string | ArrayBuffer | ArrayBufferView | object): void;
  subscribe<P = unknown>(topic: string, listener?: (payload: P, event: TopicEvent<P>) => void): Promise<SubscribeResult>;
  unsubscribe(topic: string): Promise<SubscribeResult>;
  close(code?: number, reason?: string): Promise<void>;
}

/** Seed 001's test utility, on the real client (reconnect off unless given). */
export interface TestClient {
  connect(url: string): Promise<HyphaeClient>;
  send<T = unknown>(
    envelope: { path: string; body?: unknown; [key: string]: unknown },
    options?: RequestOptions,
  ): Promise<ReplyEnvelope<T>>;
  request<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  readonly messages: unknown[];
  readonly client: HyphaeClient | null;
  disconnect(): Promise<void>;
}
export declare function createTestClient(options?: Omit<ClientOptions, 'url'>): TestClient;

export declare const RECONNECT_DEFAULTS: Readonly<Required<Omit<ReconnectOptions, 'shouldReconnect'>>>;
export declare function reconnectDelay(
  attempt: number,
  options: Required<Omit<ReconnectOptions, 'shouldReconnect' | 'enabled' | 'maxAttempts'>>,
  random?: () => number,
): number;

// Public typings of hyphae. Hand-written; checked by `npm run typecheck`.
import { EventEmitter } from 'node:events';
import type { HyphaeError } from './errors.js';
import type { TopicEvent } from './protocol.js';

export type BinaryData = Buffer | ArrayBuffer | ArrayBufferView;
export type SendableData = string | BinaryData;

export interface UpgradeRequestInfo {
  remoteAddress: string;
  remotePort: number;
  /** The peer again, where ws code reads it (`req.socket.remoteAddress`). */
  socket: { remoteAddress: string; remotePort: number; remoteFamily: 'IPv4' | 'IPv6' };
  /** Request target as sent: path and query. */
  url: string;
  /** The negotiated subprotocol ('' when none). */
  protocol: string;
  /** Request headers, names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export interface UpgradeRequest {
  url: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  remoteAddress: string;
  remotePort: number;
  /** Subprotocols the client offered. */
  protocols: string[];
}

/**
 * true / undefined accept; an object accepts with per-connection data,
 * response headers and a chosen protocol; false rejects with 401;
 * { status, message } rejects with that HTTP status (400–599).
 */
export type UpgradeVerdict<Data = unknown> =
  | boolean
  | undefined
  | { data?: Data; headers?: Record<string, string>; protocol?: string }
  | { status: number; message?: string };

export interface VerifyClientInfo {
  /** The Origin header (undefined when absent). */
  origin: string | undefined;
  /** Whether the server serves wss (the `tls` option). */
  secure: boolean;
  req: {
    method: 'GET';
    url: string;
    headers: Record<string, string>;
    socket: { remoteAddress: string; remotePort: number; remoteFamily: 'IPv4' | 'IPv6' };
  };
}

export interface DeflateOptions {
  /** 9–15, default 15. */
  serverMaxWindowBits?: number;
  /** 9–15, default 15. */
  clientMaxWindowBits?: number;
  /** zlib level 0–9, default 8. */
  level?: number;
  /** zlib memLevel 1–9, default 4. */
  memLevel?: number;
  /** Messages smaller than this (bytes) go uncompressed. Default 0. */
  threshold?: number;
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
}

export interface ServerAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export interface TlsOptions {
  /** Certificate (PEM), followed by any intermediates. */
  cert: string | Buffer;
  /** Private key (PEM); encrypted keys need `passphrase`. */
  key: string | Buffer;
  /** CA certificates (PEM) trusted to sign client certificates. */
  ca?: string | Buffer | Array<string | Buffer>;
  passphrase?: string;
  /** Require a client certificate signed by `ca` (the handshake fails without one). Default false. */
  requestCert?: boolean;
}

export interface WebSocketServerOptions<Data = unknown> {
  /** Interface to bind. Default "0.0.0.0". Not with `server` / `noServer`. */
  host?: string;
  /**
   * Port; 0 lets the system choose. Given here, the server starts listening
   * on the next tick unless listen() is called first (as ws does); listening
   * errors then go to 'error'. Not with `server` / `noServer`.
   */
  port?: number;
  /**
   * Share the port of this Node HTTP server (Express, Fastify, Koa... behind
   * it): its 'upgrade' events are taken over (those for `path`, when set)
   * and the core serves the connection. No port of its own; `host`, `port`,
   * `backlog` and `tls` are refused. An https server cannot be used: its TLS
   * sessions live in Node.
   */
  server?: import('node:http').Server;
  /** No server at all: connections come only from handleUpgrade(), as in ws. */
  noServer?: boolean;
  /** Only upgrade requests for this path are accepted (others get 404). Default: any path. */
  path?: string;
  /** io threads; 0 (default) means max(1, cores - 1). At most 64. */
  threads?: number;
  /**
   * Serve plain (ws://, no permessage-deflate, no idleTimeout) connections
   * on the JS thread: no hand-off between threads per message. Without
   * perMessageDeflate the JS thread also accepts and does the handshakes;
   * with it, the io threads do them (and compression) and hand plain
   * connections over once open. Default false (or true when
   * HYPHAE_SAME_THREAD=1).
   */
  sameThread?: boolean;
  /** Largest message accepted, in bytes; larger closes with 1009. Default 16 MiB. */
  maxPayloadLength?: number;
  /** ws's name for maxPayloadLength (give one of the two). */
  maxPayload?: number;
  /** ws's option; accepted, with no effect: connections are always tracked (`clients`). */
  clientTracking?: boolean;
  /** Largest upgrade request head, in bytes; larger gets 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Milliseconds a client has to complete the opening handshake. Default 30000. */
  handshakeTimeout?: number;
  /** listen() backlog. Default 511. */
  backlog?: number;
  /** Default timeout of close(), in milliseconds. Default 5000. */
  closeTimeout?: number;
  /** Bytes queued per connection beyond which sends report -1 / 0 and publishes skip it. 0: no limit. Default 16 MiB. */
  maxBackpressure?: number;
  /** Close (1008) a connection that goes over maxBackpressure instead. Default false. */
  closeOnBackpressureLimit?: boolean;
  /** Undelivered incoming bytes beyond which sockets stop being read until JS catches up. Default 8 MiB. */
  inboundHighWaterMark?: number;
  /** Origins allowed to connect (compared case-insensitively); others get HTTP 403. Default: any. */
  allowedOrigins?: string[];
  /** Connections open or upgrading beyond which upgrades get HTTP 503. 0 (default): no limit. */
  maxConnections?: number;
  /** The same per peer address; beyond it upgrades get HTTP 429. 0 (default): no limit. */
  maxConnectionsPerIp?: number;
  /** Subprotocols we speak, preferred first; the first one the client also offers is chosen. */
  protocols?: string[];
  /** A peer silent this long (ms) is dropped (close 1006); a ping goes out halfway. 0 (default): never. */
  idleTimeout?: number;
  /**
   * Heartbeat: every pingInterval ms each connection is pinged; one that sends
   * nothing back (no pong, no frame) within pingTimeout is dropped with a close
   * event 1006 "Ping timeout". 0 (default): no heartbeat.
   */
  pingInterval?: number;
  /** See pingInterval. Default 5000; a value >= pingInterval means "before the next ping". */
  pingTimeout?: number;
  /** permessage-deflate, negotiated when the client offers it. Default false (it costs zlib state per connection). */
  perMessageDeflate?: boolean | DeflateOptions;
  /** wss: serve TLS with this PEM material. Invalid material throws ERR_HYPHAE_TLS from the constructor. */
  tls?: TlsOptions;
  /**
   * Decides each upgrade before it is accepted (may be async; the socket
   * waits natively and the handshake timeout still applies).
   */
  upgrade?(request: UpgradeRequest): UpgradeVerdict<Data> | Promise<UpgradeVerdict<Data>>;
  /**
   * ws's verifyClient, accepted in place of `upgrade` (not with it): return
   * true to accept, false to refuse with 401; or, with two parameters,
   * answer through cb(result, code?, message?). `req` is a plain object.
   */
  verifyClient?(info: VerifyClientInfo, cb: (result: boolean, code?: number, message?: string) => void): boolean | void;
  /**
   * ws-style subprotocol choice, after an accepting upgrade verdict that named
   * none: return one of the offered names, or false for none. May be async.
   */
  handleProtocols?(protocols: Set<string>, request: UpgradeRequest): string | false | Promise<string | false>;
  open?(ws: ServerWebSocket<Data>): void;
  message?(ws: ServerWebSocket<Data>, data: string | Buffer, isBinary: boolean): void;
  close?(ws: ServerWebSocket<Data>, code: number, reason: string): void;
  error?(ws: ServerWebSocket<Data>, error: HyphaeError): void;
  /** The connection's queue went over maxBackpressure and has now been written out. */
  drain?(ws: ServerWebSocket<Data>): void;
  /** A ping from the client, with its payload; the pong has been sent already. */
  ping?(ws: ServerWebSocket<Data>, data: Buffer): void;
  /** A pong from the client (to the heartbeat's pings, ws.ping()'s, or unsolicited). */
  pong?(ws: ServerWebSocket<Data>, data: Buffer): void;
}

export declare const ReadyState: {
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
};
export type ReadyStateValue = (typeof ReadyState)[keyof typeof ReadyState];

/** How binary messages reach JS: Buffer (default), ArrayBuffer, Uint8Array, or ws's array of Buffers. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'uint8array' | 'fragments';

/** ws's send options; `compress` and `mask` are accepted and have no effect. */
export interface SendOptions {
  /** Default: true for binary data, false for strings. */
  binary?: boolean;
  /** false holds this part; the next send with fin true (the default) ends the message. */
  fin?: boolean;
  compress?: boolean;
  mask?: boolean;
}

/** Called on the next tick: no argument once the message is queued, an Error when it was not. */
export type SendCallback = (error?: HyphaeError) => void;

/**
 * WebSocketServer#clients: the open connections, live and read-only.
 * Iterates sockets as ws's `clients` Set does; get(id) finds one by id.
 */
export interface ClientSet<Data = unknown> extends Iterable<ServerWebSocket<Data>> {
  readonly size: number;
  get(id: number): ServerWebSocket<Data> | undefined;
  has(socketOrId: ServerWebSocket<Data> | number): boolean;
  forEach(callback: (socket: ServerWebSocket<Data>, same: ServerWebSocket<Data>, set: ClientSet<Data>) => void, thisArg?: unknown): void;
  values(): IterableIterator<ServerWebSocket<Data>>;
  keys(): IterableIterator<ServerWebSocket<Data>>;
  entries(): IterableIterator<[ServerWebSocket<Data>, ServerWebSocket<Data>]>;
}

export interface ServerWebSocketEvents {
  /** Text arrives as a string, binary as a Buffer. */
  message: [data: string | Buffer, isBinary: boolean];
  close: [code: number, reason: string];
  error: [error: HyphaeError];
  drain: [];
  /** A ping from the client; the pong has been sent already. */
  ping: [data: Buffer];
  pong: [data: Buffer];
}

export declare class ServerWebSocket<Data = unknown> extends EventEmitter<ServerWebSocketEvents> {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  private constructor();
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The negotiated subprotocol ('' when none). */
  readonly protocol: string;
  readyState: ReadyStateValue;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  /** Application data for this connection; hyphae never touches it. */
  data: Data;
  /** How binary messages are delivered. Default 'nodebuffer'; others throw ERR_HYPHAE_INVALID_OPTION. */
  binaryType: BinaryType;
  /**
   * Queues a message: strings as text, binary data as binary unless isBinary
   * (or ws's options.binary) says otherwise.
   * @returns bytes queued on the wire, or 0 when nothing was queued (not
   *   open, at maxBackpressure, or a part held by `fin: false`).
   */
  send(data: SendableData, isBinary?: boolean, callback?: SendCallback): number;
  send(data: SendableData, options?: SendOptions, callback?: SendCallback): number;
  send(data: SendableData, callback: SendCallback): number;
  /** Closing handshake after everything already sent. Idempotent. */
  close(code?: number, reason?: string): void;
  /** Drops the connection at once (close code 1006). */
  terminate(): void;
  /**
   * Stops reading this connection (ws's pause()): a message already being
   * read may still arrive; TCP then pushes back on the client. The heartbeat
   * does not judge a paused connection.
   */
  pause(): void;
  /** Reads the connection again after pause(). */
  resume(): void;
  /** Whether pause() holds this connection's reading. */
  readonly isPaused: boolean;
  /** Sends a ping (at most 125 bytes of data); false when the connection is not open. */
  ping(data?: SendableData): boolean;
  /** Sends an unsolicited pong (a one-way heartbeat); pings are answered without it. */
  pong(data?: SendableData): boolean;
  /** Bytes queued in the core and not yet written to the socket, counted from send() on. */
  readonly bufferedAmount: number;
  /** Bun's and uWebSockets.js's name for bufferedAmount. */
  getBufferedAmount(): number;
  /** Bun's sendText: `send(data, false)`. */
  sendText(data: SendableData): number;
  /** Bun's sendBinary: `send(data, true)`. */
  sendBinary(data: SendableData): number;
  /** Runs the callback and returns its result (a turn's sends already leave in one write). */
  cork<T>(callback: (ws: this) => T): T;
  readonly server: WebSocketServer<Data>;
  /** @returns true when newly subscribed */
  subscribe(topic: string): boolean;
  /** @returns true when it was subscribed */
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  readonly topics: string[];
  /** Bun's name for `topics`. */
  readonly subscriptions: string[];
  /** To every subscriber but this connection. @returns frame bytes, 0 when nobody else is subscribed */
  publish(topic: string, data: SendableData, isBinary?: boolean): number;
}

export interface ServerStats {
  connectionsOpened: number;
  connectionsClosed: number;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  publishes: number;
  /** Messages not queued because a connection was at maxBackpressure. */
  dropped: number;
  /** Times a connection went over maxBackpressure. */
  backpressureEvents: number;
  /** Times a socket stopped being read because JS was behind (inbound backpressure). */
  readsPaused: number;
  /** TLS handshakes that failed (wss only): wrong protocol, bad or missing client certificate. */
  tlsHandshakesFailed: number;
  /** Connections dropped because they did not answer a heartbeat ping within pingTimeout. */
  pingTimeouts: number;
  /**
   * Times accepting a connection failed, mostly for lack of descriptors
   * (EMFILE, ENFILE) or memory. Waiting connections stay queued and the
   * server tries again after 50 ms.
   */
  acceptErrors: number;
  /** Connections served on the JS thread now (sameThread), handshakes in progress included. */
  sameThreadConnections: number;
  connections: number;
  topics: number;
  subscriptions: number;
}

export interface WebSocketServerEvents<Data> {
  listening: [address: ServerAddress];
  connection: [ws: ServerWebSocket<Data>, request: UpgradeRequestInfo];
  /**
   * ws's hook: the lines of an accepted upgrade's 101 response; push
   * "Name: value" lines to add headers. Listeners must be there when the
   * server starts (they route upgrades through JS, as an upgrade handler does).
   */
  headers: [lines: string[], request: UpgradeRequest];
  error: [error: unknown];
  close: [];
}

export declare class WebSocketServer<Data = unknown> extends EventEmitter<WebSocketServerEvents<Data>> {
  /** `onListening`: ws's constructor callback, a 'listening' listener. */
  constructor(options?: WebSocketServerOptions<Data>, onListening?: () => void);
  readonly listening: boolean;
  readonly clients: ClientSet<Data>;
  readonly connectionCount: number;
  /** Rejects with ERR_HYPHAE_ATTACHED with `server` / `noServer`: the HTTP server listens. */
  listen(port?: number, host?: string): Promise<ServerAddress>;
  address(): ServerAddress | null;
  /**
   * Takes over an upgrade from a Node HTTP server's 'upgrade' event, as ws's
   * handleUpgrade: hyphae answers the handshake on that TCP connection (its
   * limits and upgrade handler apply) and calls `callback` once it is open;
   * a refused upgrade gets its HTTP answer and no callback. A connection
   * with a callback emits no 'connection' of its own. After close(), or
   * when not listening on a port of its own, upgrades get 503. Throws
   * ERR_HYPHAE_UNSUPPORTED_SOCKET for a TLS socket.
   */
  handleUpgrade(
    request: import('node:http').IncomingMessage,
    socket: import('node:stream').Duplex,
    head: Buffer,
    callback?: (ws: ServerWebSocket<Data>, request: import('node:http').IncomingMessage) => void,
  ): void;
  /** Whether an upgrade request is for this server's `path` (always true without one). */
  shouldHandle(request: import('node:http').IncomingMessage): boolean;
  close(options?: { timeout?: number }, callback?: (error?: HyphaeError) => void): Promise<void>;
  /** ws's form: the callback runs once closed, with ERR_HYPHAE_NOT_RUNNING when the server was not running. */
  close(callback: (error?: HyphaeError) => void): Promise<void>;
  /**
   * @returns bytes queued; -1 queued but now over maxBackpressure; 0 dropped
   *   (unknown or closed connection, or already at the limit).
   */
  send(id: number, data: SendableData, isBinary?: boolean): number;
  /** @returns frame bytes, or 0 when the topic has no subscribers */
  publish(topic: string, data: SendableData, isBinary?: boolean): number;
  subscriberCount(topic: string): number;
  topics(): string[];
  readonly subscriptionCount: number;
  stats(): ServerStats;
  ref(): this;
  unref(): this;
}

export declare const CloseCodes: {
  readonly NORMAL: 1000;
  readonly GOING_AWAY: 1001;
  readonly PROTOCOL_ERROR: 1002;
  readonly UNSUPPORTED_DATA: 1003;
  readonly NO_STATUS: 1005;
  readonly ABNORMAL: 1006;
  readonly INVALID_PAYLOAD: 1007;
  readonly POLICY_VIOLATION: 1008;
  readonly MESSAGE_TOO_BIG: 1009;
  readonly INTERNAL_ERROR: 1011;
};
export declare function isSendableCloseCode(code: number): boolean;

export { ErrorCodes, HyphaeError, type ErrorCode } from './errors.js';

// ---- The Mycelia websocket facet (seed 000 contract, seed 001 config) ----

export interface FacetWebSocketSection {
  /** "hyphae" (default) or "native"; "ws" and "uws" are accepted for drop-in configs. */
  type?: 'hyphae' | 'native' | 'ws' | 'uws';
  /** Default 8080. */
  port?: number;
  /** Default "0.0.0.0". */
  host?: string;
  /** Default "/ws". */
  path?: string;
  /** Where handler failures are logged. Default console. */
  logger?: { error(...args: unknown[]): void };
  options?: {
    /** Largest message in bytes (close 1009 above it). Default 1 MiB. */
    maxPayload?: number;
    /** permessage-deflate, as WebSocketServerOptions.perMessageDeflate. */
    perMessageDeflate?: boolean | DeflateOptions;
    /** Accepted; connections are always tracked. */
    clientTracking?: boolean;
    threads?: number;
    /** As WebSocketServerOptions.sameThread. */
    sameThread?: boolean;
    maxHeaderBytes?: number;
    backlog?: number;
    /** How long stop() waits for closing handshakes, in ms. Default 5000. */
    closeTimeout?: number;
    maxBackpressure?: number;
    closeOnBackpressureLimit?: boolean;
    inboundHighWaterMark?: number;
    /** wss, as WebSocketServerOptions.tls. */
    tls?: TlsOptions;
    allowedOrigins?: string[];
    maxConnectionsPerIp?: number;
    protocols?: string[];
    idleTimeout?: number;
  };
  /** The connection and routing sections may also be nested here. */
  connection?: FacetConnectionSection;
  routing?: FacetRoutingSection;
}

export interface FacetConnectionSection {
  /** Connections beyond which upgrades get HTTP 503. Default 1000. */
  maxConnections?: number;
  /** Opening-handshake timeout in ms. Default 30000. */
  connectionTimeout?: number;
  /** Heartbeat ping period in ms; 0 turns the heartbeat off. Default 25000. */
  pingInterval?: number;
  /** A connection that sends nothing back within this many ms of a ping is dropped (1006 "Ping timeout"). Default 5000. */
  pingTimeout?: number;
  /** Connection ids; default crypto.randomUUID(). */
  generateConnectionId?: (socket: ServerWebSocket) => string;
  /**
   * Authentication by first message: the first message goes here; a truthy
   * result authenticates (kept as connection.auth; its userId counts for
   * maxConnectionsPerUser), a falsy one replies AUTH_FAILED and closes 1008.
   */
  authenticate?: (connection: WebSocketConnection, message: any) => unknown;
  /** ms a connection may stay unauthenticated (close 1008). Default 10000. */
  authTimeout?: number;
  /** Messages while authentication runs: UNAUTHENTICATED reply ('reply', default) or close 1008. */
  onUnauthenticated?: 'reply' | 'close';
  /** Authenticated connections per userId; beyond it TOO_MANY_CONNECTIONS and close 1008. 0: no limit. */
  maxConnectionsPerUser?: number;
  /** Per connection: over maxMessages in windowMs, reply RATE_LIMITED ('reply', default) or close 1008 ('close'). */
  rateLimit?: { maxMessages: number; windowMs: number; action?: 'reply' | 'close' };
}

export interface FacetRoutingSection {
  /** Path of envelopes that name none. Default "websocket://message". */
  defaultPath?: string;
  /** false: broadcast() rejects with ERR_HYPHAE_BROADCAST_DISABLED. Default true. */
  enableBroadcast?: boolean;
  /** false: send() rejects with ERR_HYPHAE_DIRECT_SEND_DISABLED. Default true. */
  enableDirectSend?: boolean;
  /** Reshapes each parsed incoming message; returning null drops it. */
  transformIncoming?: (message: any, connection: WebSocketConnection) => any;
  /** Reshapes each reply before it is sent; returning null sends nothing. */
  transformOutgoing?: (reply: Reply | ActionReply, connection: WebSocketConnection) => any;
  /** Gate for websocket://subscribe from clients (may be async); without it they are refused. */
  authorizeSubscribe?: (connection: WebSocketConnection, topic: string) => boolean | Promise<boolean>;
  /** Topic events (with an id) kept per topic for clients that resubscribe with `since`. Default 0. */
  topicHistory?: number;
}

/** Seed 004's reliable delivery (docs/facet.md#reliable-delivery). */
export interface FacetDeliverySection {
  /** Who a ready connection receives deliveries for. Default metadata.sessionId ?? metadata.userId ?? null. */
  keyOf?: (connection: WebSocketConnection) => string | null | undefined;
  /** ms a delivery may wait for confirmation. Default 60000. */
  expiry?: number;
  /** Connections that may close without confirming it before it fails. Default 3. */
  retries?: number;
  /** Unconfirmed deliveries per key. Default 50. */
  queueSize?: number;
}

export interface DeliveryOptions {
  /** The message's `type`. Default "message". */
  type?: string;
  /** Order on a new connection. Default "normal". */
  priority?: 'high' | 'normal' | 'low';
  expiry?: number;
  retries?: number;
  /** A newer delivery to the same key with this tag replaces this one while it waits (seed 004's debouncing). */
  coalesce?: string;
}

export interface FacetConfig {
  websocket?: FacetWebSocketSection;
  connection?: FacetConnectionSection;
  routing?: FacetRoutingSection;
  delivery?: FacetDeliverySection;
}

export declare const ReplyCodes: {
  readonly INVALID_JSON: 'INVALID_JSON';
  readonly INVALID_MESSAGE: 'INVALID_MESSAGE';
  readonly ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND';
  readonly PATH_FORBIDDEN: 'PATH_FORBIDDEN';
  readonly HANDLER_ERROR: 'HANDLER_ERROR';
  readonly HANDLER_FAILED: 'HANDLER_FAILED';
  readonly BINARY_NOT_SUPPORTED: 'BINARY_NOT_SUPPORTED';
  readonly ROUTING_ERROR: 'ROUTING_ERROR';
  readonly SUBSCRIBE_DENIED: 'SUBSCRIBE_DENIED';
  readonly RATE_LIMITED: 'RATE_LIMITED';
  readonly UNAUTHENTICATED: 'UNAUTHENTICATED';
  readonly AUTH_FAILED: 'AUTH_FAILED';
  readonly TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS';
  readonly INVALID_TOPIC: 'INVALID_TOPIC';
};

export interface Reply<Data = unknown> {
  success: boolean;
  data: Data | null;
  correlationId: string | null;
  error: { code: string; message: string } | null;
  metadata: { traceId: string | null; timestamp: number };
}

/** Seed 002's answer to `{ id, type: 'request', action, payload }`. */
export interface ActionReply<Payload = unknown> {
  id: string | null;
  type: 'response' | 'error';
  /** The request's action; "error" on an error. */
  action: string;
  /** The handler's data, or `{ code, message }` on an error. */
  payload: Payload | { code: string; message: string };
  metadata: { timestamp: number; version: string };
}

export interface RoutedMessage<Body = any> {
  path: string;
  body: Body;
  correlationId: string | null;
  connectionId: string;
  metadata: { traceId: string; headers: Record<string, string> };
}

export type MessageHandler = (
  message: RoutedMessage,
  params: Record<string, string>,
  context: {
    /** null when the request came through the REST fallback (createRestFallback). */
    connection: WebSocketConnection | null;
    connectionId: string | null;
    /** connection.auth, or what the REST fallback's authenticate returned. */
    auth: unknown;
  },
) => unknown;

export declare class WebSocketConnection {
  private constructor();
  readonly id: string;
  readonly socket: ServerWebSocket;
  metadata: { remoteAddress: string; headers: Record<string, string>; url: string; [key: string]: unknown };
  connectedAt: Date;
  lastActivity: Date;
  data: unknown;
  /** What connection.authenticate returned, once authenticated. */
  auth: unknown;
  readonly readyState: ReadyStateValue;
  readonly bufferedAmount: number;
  /** A string as is, binary as binary, anything else as JSON. Rejects when closed. */
  send(data: unknown): Promise<number>;
  close(code?: number, reason?: string): void;
  ping(data?: SendableData): boolean;
  isOpen(): boolean;
  isClosed(): boolean;
  updateActivity(): void;
  getAge(): number;
  getTimeSinceLastActivity(): number;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  getTopics(): string[];
  /** To the topic's subscribers, this connection excluded unless publishToSelf. */
  publish(topic: string, message: unknown, options?: { publishToSelf?: boolean }): number;
}

/** Matches connections by metadata (or data) fields: a value for equality, an array for any-of. */
export type BroadcastFilter = ((connection: WebSocketConnection) => boolean) | Record<string, unknown>;

export interface FacetHealth {
  healthy: boolean;
  connections: number;
  rooms: number;
  subscriptions: number;
  uptime: number;
  timestamp: number;
}

export interface WebSocketFacet {
  start(options?: { port?: number; host?: string; path?: string; callback?: () => void }): Promise<void>;
  /** Closes every connection with 1001, waiting up to `timeout` ms for the handshakes. */
  stop(options?: { timeout?: number }): Promise<void>;
  isRunning(): boolean;
  getAddress(): string | null;
  getPort(): number | null;
  getConnection(id: string): WebSocketConnection | null;
  getAllConnections(): WebSocketConnection[];
  getConnectionCount(): number;
  closeConnection(id: string, code?: number, reason?: string): Promise<boolean>;
  send(id: string, message: unknown): Promise<number>;
  /** @returns how many connections the message was queued for */
  broadcast(message: unknown, filter?: BroadcastFilter): Promise<number>;
  publish(topic: string, message: unknown): number;
  subscriberCount(topic: string): number;
  getRooms(): string[];
  getRoomMembers(room: string): string[];
  joinRoom(connectionId: string, room: string): boolean;
  leaveRoom(connectionId: string, room: string): boolean;
  broadcastToRoom(room: string, message: unknown): number;
  /** Resolves once a connection of `key` confirmed it, or with `supersededBy` once a newer one replaced it. */
  deliver(
    key: string,
    payload: unknown,
    options?: DeliveryOptions,
  ): Promise<{ id: string; attempts: number; supersededBy?: string }>;
  getPendingDeliveries(key?: string): number;
  getHealth(): FacetHealth;
  getStats(): ServerStats & { running: boolean };
  onConnection(handler: (connection: WebSocketConnection) => unknown): () => void;
  onDisconnection(handler: (connection: WebSocketConnection, code: number, reason: string) => unknown): () => void;
  onError(handler: (connection: WebSocketConnection | null, error: unknown) => unknown): () => void;
  onBinary(handler: (connection: WebSocketConnection, data: Buffer) => unknown): () => void;
  registerMessageHandler(path: string, handler: MessageHandler): () => boolean;
  unregisterMessageHandler(path: string): boolean;
  /** The reply a message would get: seed 002's shape for a seed 002 request. */
  routeMessage(connectionId: string, message: string | object): Promise<Reply | ActionReply | undefined>;
  /** The same pipeline with no connection (the REST fallback): handlers get connection null and this auth. */
  routeRequest(message: string | object, options?: { auth?: unknown }): Promise<Reply | ActionReply | undefined>;
  readonly _server: object;
  readonly _isRunning: boolean;
  readonly _connections: Map<string, WebSocketConnection>;
}

export declare const SERVER_ONLY_PATHS: readonly string[];
export interface RestFallbackOptions {
  /** Default "/ws-api". */
  prefix?: string;
  /** Who is calling (may be async); falsy: 401. Every endpoint but status needs it. */
  authenticate?: (request: import('node:http').IncomingMessage) => unknown;
  /** May `auth` broadcast to, list or notify the session (may be async)? Without it those endpoints answer 403. */
  authorize?: (auth: any, action: 'broadcast' | 'connections' | 'notify', target: { sessionId: string }) => unknown;
  /** Largest request body read; default 1 MiB (413 beyond). */
  maxBodyBytes?: number;
}
/** Seed 004's REST endpoints beside a facet: a request listener, or Express middleware. */
export declare function createRestFallback(
  facet: WebSocketFacet,
  options?: RestFallbackOptions,
): (
  request: import('node:http').IncomingMessage,
  response: import('node:http').ServerResponse,
  next?: () => void,
) => Promise<void>;

/** Seed 004's WEBSOCKET_* variables (set ones override `base`); default env: process.env. */
export declare function configFromEnv(env?: Record<string, string | undefined>, base?: FacetConfig): FacetConfig;
export declare const ENV_VARIABLES: readonly string[];
export declare function createWebSocketFacet(config?: FacetConfig): WebSocketFacet;

/** The hook factory: pass your framework's own createHook and Facet. */
export declare function createNativeWebSocketHook(framework: {
  createHook: (...args: any[]) => any;
  Facet: new (...args: any[]) => any;
}): any;

export type { TopicEvent } from './protocol.js';
/** Seed 002's event message for subscribers. */
export declare function createTopicEvent<Payload>(
  topic: string,
  payload: Payload,
  options?: { id?: string; version?: string },
): TopicEvent<Payload>;

/** The first token found on an upgrade request: ?token=, Authorization: Bearer, or a "bearer.<token>" subprotocol. */
export declare function tokenFromRequest(
  request: Pick<UpgradeRequest, 'query' | 'headers' | 'protocols'>,
  where?: { query?: string | false; bearer?: boolean; protocolPrefix?: string | false },
): string | null;

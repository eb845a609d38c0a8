// Public typings of hyphae. Hand-written; checked by `npm run typecheck`.
import { EventEmitter } from 'node:events';

export type BinaryData = Buffer | ArrayBuffer | ArrayBufferView;
export type SendableData = string | BinaryData;

export interface UpgradeRequestInfo {
  remoteAddress: string;
  remotePort: number;
  /** Request target as sent: path and query. */
  url: string;
  /** Request headers, names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export interface ServerAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export interface WebSocketServerOptions<Data = unknown> {
  /** Interface to bind. Default "0.0.0.0". */
  host?: string;
  /** Port; 0 (the default) lets the system choose. */
  port?: number;
  /** Only upgrade requests for this path are accepted (others get 404). Default: any path. */
  path?: string;
  /** io threads; 0 (default) means max(1, cores - 1). At most 64. */
  threads?: number;
  /** Largest message accepted, in bytes; larger closes with 1009. Default 16 MiB. */
  maxPayloadLength?: number;
  /** Largest upgrade request head, in bytes; larger gets 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Milliseconds a client has to complete the opening handshake. Default 30000. */
  handshakeTimeout?: number;
  /** listen() backlog. Default 511. */
  backlog?: number;
  /** Default timeout of close(), in milliseconds. Default 5000. */
  closeTimeout?: number;
  open?(ws: ServerWebSocket<Data>): void;
  message?(ws: ServerWebSocket<Data>, data: string | Buffer, isBinary: boolean): void;
  close?(ws: ServerWebSocket<Data>, code: number, reason: string): void;
  error?(ws: ServerWebSocket<Data>, error: HyphaeError): void;
}

export declare const ReadyState: {
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
};
export type ReadyStateValue = (typeof ReadyState)[keyof typeof ReadyState];

export interface ServerWebSocketEvents {
  /** Text arrives as a string, binary as a Buffer. */
  message: [data: string | Buffer, isBinary: boolean];
  close: [code: number, reason: string];
  error: [error: HyphaeError];
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
  readyState: ReadyStateValue;
  /** Application data for this connection; hyphae never touches it. */
  data: Data;
  /**
   * Queues a message: strings as text, binary data as binary unless isBinary says otherwise.
   * @returns bytes queued on the wire, or 0 when the connection is not open.
   */
  send(data: SendableData, isBinary?: boolean): number;
  /** Closing handshake after everything already sent. Idempotent. */
  close(code?: number, reason?: string): void;
  /** Drops the connection at once (close code 1006). */
  terminate(): void;
  ping(data?: SendableData): boolean;
}

export interface WebSocketServerEvents<Data> {
  listening: [address: ServerAddress];
  connection: [ws: ServerWebSocket<Data>, request: UpgradeRequestInfo];
  error: [error: unknown];
  close: [];
}

export declare class WebSocketServer<Data = unknown> extends EventEmitter<WebSocketServerEvents<Data>> {
  constructor(options?: WebSocketServerOptions<Data>);
  readonly listening: boolean;
  readonly clients: ReadonlyMap<number, ServerWebSocket<Data>>;
  readonly connectionCount: number;
  listen(port?: number, host?: string): Promise<ServerAddress>;
  address(): ServerAddress | null;
  close(options?: { timeout?: number }): Promise<void>;
  /** @returns bytes queued, or 0 for an unknown or closed connection. */
  send(id: number, data: SendableData, isBinary?: boolean): number;
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

export declare const ErrorCodes: {
  readonly NATIVE_MISSING: 'ERR_HYPHAE_NATIVE_MISSING';
  readonly INVALID_OPTION: 'ERR_HYPHAE_INVALID_OPTION';
  readonly INVALID_DATA: 'ERR_HYPHAE_INVALID_DATA';
  readonly INVALID_CLOSE_CODE: 'ERR_HYPHAE_INVALID_CLOSE_CODE';
  readonly INVALID_CLOSE_REASON: 'ERR_HYPHAE_INVALID_CLOSE_REASON';
  readonly ALREADY_LISTENING: 'ERR_HYPHAE_ALREADY_LISTENING';
  readonly PROTOCOL: 'ERR_HYPHAE_PROTOCOL';
};
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export declare class HyphaeError extends Error {
  constructor(code: string, message: string, options?: { cause?: unknown });
  readonly code: string;
}

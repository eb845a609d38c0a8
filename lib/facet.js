// The websocket facet of the Mycelia contract (seed 000), as plain members
// over a WebSocketServer. createWebSocketFacet() serves plain Node;
// lib/hook.js wraps the same members in a framework Facet.
import { randomUUID } from 'node:crypto';
import { IDLE_CORE_STATS, WebSocketServer } from './server.js';
import { WebSocketConnection, encodeOutgoing } from './connection.js';
import { MessageRouter } from './router.js';
import { ReplyCodes, errorReply, parseEnvelope, resultReply } from './envelope.js';
import { resolveFacetConfig, resolveStartOptions } from './facet-config.js';
import { ErrorCodes, HyphaeError } from './errors.js';
import { compileFilter } from './filters.js';
import { assertTopic } from './socket.js';
import { DeliveryOutbox } from './delivery.js';
import { TopicHistory } from './topic-history.js';
import { actionReply, envelopeOfAction, isActionRequest } from './action-protocol.js';

/** Paths a client may not use unless the application registered a handler for them. */
export const SERVER_ONLY_PATHS = Object.freeze(['websocket://send', 'websocket://broadcast', 'websocket://close']);

/** Paths the facet itself answers for clients (unless the app handles them). */
export const SUBSCRIBE_PATH = 'websocket://subscribe';
export const UNSUBSCRIBE_PATH = 'websocket://unsubscribe';
/** A client's confirmation of a reliable delivery: body { id }. */
export const ACK_PATH = 'websocket://ack';
/** A client's liveness check (seed 004's heartbeat): answered with the server's time. */
export const HEARTBEAT_PATH = 'websocket://heartbeat';
// What only a WebSocket connection can ask for.
const CONNECTION_PATHS = Object.freeze([SUBSCRIBE_PATH, UNSUBSCRIBE_PATH, ACK_PATH]);

// What `_server` holds before start() and after stop(): the contract wants a
// non-null object from build time on.
const IDLE_SERVER = Object.freeze({ listening: false, idle: true });

/**
 * @param {object} [rawConfig] { websocket, connection, routing } (seed 001)
 * @param {{ kernel?: () => ({ messages: any, router: any } | null) }} [environment]
 *   `kernel` returns the message system to route through, when there is one.
 * @returns {{ members: object, dispose: () => Promise<void> }}
 */
export function createFacetMembers(rawConfig = {}, environment = {}) {
  const config = resolveFacetConfig(rawConfig);
  const { logger } = config.websocket;
  const { routing } = config;
  const router = new MessageRouter();
  const connections = new Map(); // connection id (string) -> WebSocketConnection
  const byNativeId = new Map(); // ServerWebSocket id (number) -> WebSocketConnection
  const listeners = { connection: [], disconnection: [], error: [], binary: [] };
  const { rateLimit } = config.connection;
  const windows = new WeakMap(); // connection -> { start, count } (rate limit)
  // Authentication by first message: connection -> { state: 'pending' | 'checking', timer }
  const { authenticate } = config.connection;
  const pendingAuth = new Map();
  const userConnections = new Map(); // userId -> open authenticated connections
  let server = null;
  let running = false;
  let startedAt = null;
  let stopping = null;
  let bound = null;
  const history = new TopicHistory(routing.topicHistory);
  const outbox = new DeliveryOutbox(config.delivery, (error, connection) =>
    handlerFailed('delivery.keyOf', error, connection),
  );

  // Calls an application handler; a throw or a rejection is logged and
  // passed to the error handlers, never to the caller.
  function invoke(kind, fn, args) {
    try {
      const result = fn(...args);
      if (result && typeof result.then === 'function') result.then(undefined, (error) => handlerFailed(kind, error, args[0]));
    } catch (error) {
      handlerFailed(kind, error, args[0]);
    }
  }

  function handlerFailed(kind, error, connection) {
    logger.error(`hyphae: ${kind} handler failed:`, error);
    if (kind !== 'error') for (const fn of listeners.error) invoke('error', fn, [connection ?? null, error]);
  }

  function addListener(kind, fn, method) {
    if (typeof fn !== 'function') {
      throw new HyphaeError(ErrorCodes.INVALID_HANDLER, `${method} expects a function`);
    }
    listeners[kind].push(fn);
    return () => {
      const index = listeners[kind].indexOf(fn);
      if (index >= 0) listeners[kind].splice(index, 1);
    };
  }

  function connectionId(socket) {
    try {
      const id = config.connection.generateConnectionId(socket);
      if ((typeof id === 'string' && id.length > 0) || typeof id === 'number') {
        const text = String(id);
        if (!connections.has(text)) return text;
      }
      logger.error('hyphae: generateConnectionId returned an empty or duplicate id; using a UUID');
    } catch (error) {
      logger.error('hyphae: generateConnectionId failed; using a UUID', error);
    }
    return randomUUID();
  }

  function onOpen(socket) {
    const connection = new WebSocketConnection(socket, connectionId(socket));
    connections.set(connection.id, connection);
    byNativeId.set(socket.id, connection);
    if (authenticate) {
      const timer = setTimeout(() => {
        if (pendingAuth.has(connection)) connection.close(1008, 'Authentication timeout');
      }, config.connection.authTimeout);
      timer.unref?.();
      pendingAuth.set(connection, { state: 'pending', timer });
    }
    for (const fn of listeners.connection) invoke('connection', fn, [connection]);
    // After the listeners, which may set the metadata delivery.keyOf reads.
    if (!authenticate) outbox.connectionReady(connection);
  }

  // True when the message is over the connection's rate limit (and was dealt with).
  function overRateLimit(connection, data) {
    if (!rateLimit) return false;
    const now = Date.now();
    let window = windows.get(connection);
    if (!window || now - window.start >= rateLimit.windowMs) windows.set(connection, (window = { start: now, count: 0 }));
    if (++window.count <= rateLimit.maxMessages) return false;
    if (rateLimit.action === 'close') {
      connection.close(1008, 'Rate limit exceeded');
      return true;
    }
    let message = null;
    if (typeof data === 'string') {
      try {
        message = JSON.parse(data);
      } catch {
        // not JSON: no correlation id to answer with
      }
    }
    const reply = errorReply(ReplyCodes.RATE_LIMITED, 'Too many messages', correlationOf(message));
    sendReply(connection, answer(message, reply));
    return true;
  }

  function onMessage(socket, data, isBinary) {
    const connection = byNativeId.get(socket.id);
    if (!connection) return;
    connection.updateActivity();
    if (overRateLimit(connection, data)) return;
    if (pendingAuth.has(connection)) return authenticationMessage(connection, data);
    if (isBinary) {
      if (listeners.binary.length === 0) {
        sendReply(connection, errorReply(ReplyCodes.BINARY_NOT_SUPPORTED, 'Binary messages are not supported'));
        return;
      }
      for (const fn of listeners.binary) invoke('binary', fn, [connection, data]);
      return;
    }
    processEnvelope(connection, data).then(
      (reply) => sendReply(connection, reply),
      (error) => handlerFailed('message', error, connection),
    );
  }

  function onClose(socket, code, reason) {
    const connection = byNativeId.get(socket.id);
    if (!connection) return;
    const pending = pendingAuth.get(connection);
    if (pending) {
      clearTimeout(pending.timer);
      pendingAuth.delete(connection);
    }
    const userId = connection.auth?.userId;
    if (userId !== undefined && userConnections.has(userId)) {
      const left = userConnections.get(userId) - 1;
      if (left > 0) userConnections.set(userId, left);
      else userConnections.delete(userId);
    }
    byNativeId.delete(socket.id);
    connections.delete(connection.id);
    outbox.connectionClosed(connection);
    for (const fn of listeners.disconnection) invoke('disconnection', fn, [connection, code, reason]);
  }

  function onProtocolError(socket, error) {
    const connection = byNativeId.get(socket.id);
    for (const fn of listeners.error) invoke('error', fn, [connection ?? null, error]);
  }

  // The first message of a connection that must authenticate goes to
  // connection.authenticate; the ones that arrive while it runs are refused.
  function authenticationMessage(connection, data) {
    const pending = pendingAuth.get(connection);
    let message = data;
    if (typeof data === 'string') {
      try {
        message = JSON.parse(data);
      } catch {
        // handed over as the raw text
      }
    }
    const correlationId = (message && typeof message === 'object' && correlationOf(message)) || null;
    const reply = (answerReply) => sendReply(connection, answer(message, answerReply));
    if (pending.state === 'checking') {
      if (config.connection.onUnauthenticated === 'close') return connection.close(1008, 'Not authenticated');
      return reply(errorReply(ReplyCodes.UNAUTHENTICATED, 'Authenticate first', correlationId));
    }
    pending.state = 'checking';
    const refuse = (code, text, reason) => {
      clearTimeout(pending.timer);
      pendingAuth.delete(connection);
      reply(errorReply(code, text, correlationId));
      connection.close(1008, reason);
    };
    Promise.resolve()
      .then(() => authenticate(connection, message))
      .then(
        (result) => {
          if (!pendingAuth.has(connection) || !connection.isOpen()) return; // closed meanwhile
          if (!result) return refuse(ReplyCodes.AUTH_FAILED, 'Authentication failed', 'Authentication failed');
          const userId = typeof result === 'object' ? result.userId : undefined;
          const limit = config.connection.maxConnectionsPerUser;
          if (userId !== undefined && limit > 0 && (userConnections.get(userId) ?? 0) >= limit) {
            return refuse(ReplyCodes.TOO_MANY_CONNECTIONS, `Too many connections for user ${userId}`, 'Too many connections');
          }
          clearTimeout(pending.timer);
          pendingAuth.delete(connection);
          connection.auth = result;
          if (userId !== undefined) {
            connection.metadata.userId = userId;
            userConnections.set(userId, (userConnections.get(userId) ?? 0) + 1);
          }
          if (typeof result === 'object' && result.sessionId !== undefined) {
            connection.metadata.sessionId = result.sessionId;
          }
          reply(resultReply({ data: { authenticated: true, userId: userId ?? null } }, correlationId, null));
          outbox.connectionReady(connection);
        },
        (error) => {
          if (pendingAuth.has(connection)) refuse(ReplyCodes.AUTH_FAILED, messageOf(error), 'Authentication failed');
        },
      );
  }

  function sendReply(connection, reply) {
    if (reply === undefined || reply === null || !connection.isOpen()) return;
    let outgoing = reply;
    if (routing.transformOutgoing) {
      try {
        outgoing = routing.transformOutgoing(reply, connection);
      } catch (error) {
        handlerFailed('transformOutgoing', error, connection);
        return;
      }
      if (outgoing === undefined || outgoing === null) return;
    }
    connection.socket.send(typeof outgoing === 'string' ? outgoing : JSON.stringify(outgoing));
  }

  // The request pipeline: parse, transform, refuse server-only paths, route
  // (own table first, then the kernel's message system when there is one),
  // and build the reply. Resolves with the reply; never rejects for bad input.
  // A seed 002 request ({ id, type: 'request', action, payload }) is routed
  // as the envelope it maps to and answered in its own protocol.
  // `connection` is null for a request that came another way (the REST
  // fallback); `auth` is then what authenticated it.
  async function processEnvelope(connection, wsMessage, auth = connection?.auth ?? null) {
    const parsed = parseEnvelope(wsMessage);
    if (parsed.reply) return parsed.reply;
    let envelope = parsed.envelope;
    if (routing.transformIncoming) {
      try {
        envelope = await routing.transformIncoming(envelope, connection);
      } catch (error) {
        return answer(parsed.envelope, errorReply(ReplyCodes.HANDLER_ERROR, messageOf(error), correlationOf(parsed.envelope)));
      }
      if (envelope === undefined || envelope === null) return undefined; // dropped by the transform
      if (typeof envelope !== 'object') {
        return errorReply(ReplyCodes.INVALID_MESSAGE, 'transformIncoming must return an object');
      }
    }
    if (!isActionRequest(envelope)) return routeEnvelope(connection, envelope, auth);
    const mapped = envelopeOfAction(envelope, (path) => router.match(path) !== null);
    const reply = await routeEnvelope(connection, mapped, auth);
    return answer(envelope, reply);
  }

  /** The reply in the protocol of the message it answers. */
  function answer(message, reply) {
    return reply && isActionRequest(message) ? actionReply(reply, message) : reply;
  }

  async function routeEnvelope(connection, envelope, auth) {
    const correlationId = correlationOf(envelope);
    const path = envelope.path ?? routing.defaultPath;
    let traceId = envelope.metadata?.traceId ?? null;
    if (typeof path !== 'string' || path.length === 0) {
      return errorReply(ReplyCodes.INVALID_MESSAGE, 'Message path must be a non-empty string', correlationId, traceId);
    }
    const body = envelope.body ?? {};
    const match = router.match(path);
    if (!match && connection === null && CONNECTION_PATHS.includes(path)) {
      return errorReply(ReplyCodes.PATH_FORBIDDEN, `Path ${path} needs a WebSocket connection`, correlationId, traceId);
    }
    if (!match && (path === SUBSCRIBE_PATH || path === UNSUBSCRIBE_PATH)) {
      return clientSubscription(connection, path, body, correlationId, traceId ?? randomUUID());
    }
    if (!match && path === HEARTBEAT_PATH) {
      return resultReply({ data: { timestamp: Date.now() } }, correlationId, traceId);
    }
    if (!match && path === ACK_PATH) {
      const id = body?.id;
      if (typeof id !== 'string' || id.length === 0) {
        return errorReply(ReplyCodes.INVALID_MESSAGE, 'body.id must be a non-empty string', correlationId, traceId);
      }
      const acknowledged = outbox.acknowledge(connection, id);
      return resultReply({ data: { id, acknowledged } }, correlationId, traceId);
    }
    if (!match && SERVER_ONLY_PATHS.includes(path)) {
      return errorReply(ReplyCodes.PATH_FORBIDDEN, `Path ${path} may not be used by clients`, correlationId, traceId);
    }
    traceId ??= randomUUID();

    if (match) {
      const message = {
        path,
        body,
        correlationId,
        connectionId: connection?.id ?? null,
        metadata: { traceId, headers: envelope.metadata?.headers ?? {} },
      };
      try {
        const context = { connection, connectionId: connection?.id ?? null, auth };
        const result = await match.handler(message, match.params, context);
        return resultReply(result, correlationId, traceId);
      } catch (error) {
        return errorReply(ReplyCodes.HANDLER_ERROR, messageOf(error), correlationId, traceId);
      }
    }

    const kernel = environment.kernel?.();
    if (!kernel) return errorReply(ReplyCodes.ROUTE_NOT_FOUND, 'Route not found', correlationId, traceId);
    return routeThroughKernel(kernel, connection, { path, body, correlationId, traceId });
  }

  async function routeThroughKernel(kernel, connection, { path, body, correlationId, traceId }) {
    let message;
    let result;
    try {
      message = kernel.messages.create(path, body, {
        meta: {
          traceId,
          correlationId,
          connectionId: connection?.id ?? null,
          websocket: connection !== null,
          processImmediately: true,
        },
      });
      result = await kernel.router.route(message);
    } catch (error) {
      return errorReply(ReplyCodes.ROUTING_ERROR, messageOf(error), correlationId, traceId);
    }
    if (result === null || result === undefined) {
      return errorReply(ReplyCodes.ROUTE_NOT_FOUND, 'Route not found', correlationId, traceId);
    }
    const kernelTraceId = message?.getMeta?.()?.getTraceId?.() ?? traceId;
    return resultReply(unwrapKernelResult(result), correlationId, kernelTraceId);
  }

  // websocket://subscribe and websocket://unsubscribe from a client.
  // Subscribing needs routing.authorizeSubscribe to say yes; leaving never does.
  async function clientSubscription(connection, path, body, correlationId, traceId) {
    const topic = body?.topic;
    if (typeof topic !== 'string' || topic.length === 0) {
      return errorReply(ReplyCodes.INVALID_TOPIC, 'body.topic must be a non-empty string', correlationId, traceId);
    }
    if (path === UNSUBSCRIBE_PATH) {
      const changed = connection.unsubscribe(topic);
      return resultReply({ data: { topic, subscribed: false, changed } }, correlationId, traceId);
    }
    if (!routing.authorizeSubscribe) {
      return errorReply(ReplyCodes.SUBSCRIBE_DENIED, 'Client subscriptions are not enabled', correlationId, traceId);
    }
    let allowed;
    try {
      allowed = await routing.authorizeSubscribe(connection, topic);
    } catch (error) {
      return errorReply(ReplyCodes.HANDLER_ERROR, messageOf(error), correlationId, traceId);
    }
    if (!allowed) {
      return errorReply(ReplyCodes.SUBSCRIBE_DENIED, `Not allowed to subscribe to ${topic}`, correlationId, traceId);
    }
    // What the client missed goes out before anything published from now on:
    // sends and publishes leave a connection in call order.
    const since = body.since;
    let replay = null;
    if (typeof since === 'string' && since.length > 0 && history.enabled) {
      const { frames, complete } = history.after(topic, since);
      for (const frame of frames) connection.socket.send(frame);
      replay = { replayed: frames.length, complete };
    }
    const changed = connection.subscribe(topic);
    const data = { topic, subscribed: connection.isSubscribed(topic), changed, ...replay };
    return resultReply({ data }, correlationId, traceId);
  }

  function connectionOrThrow(id) {
    const connection = connections.get(id);
    if (!connection) throw new HyphaeError(ErrorCodes.CONNECTION_NOT_FOUND, `Connection ${id} not found`);
    return connection;
  }

  function createServer(settings) {
    return new WebSocketServer({
      host: settings.host,
      port: settings.port,
      path: settings.path,
      maxPayloadLength: config.options.maxPayload,
      threads: config.options.threads,
      sameThread: config.options.sameThread,
      maxHeaderBytes: config.options.maxHeaderBytes,
      backlog: config.options.backlog,
      closeTimeout: config.options.closeTimeout,
      handshakeTimeout: config.connection.connectionTimeout,
      maxConnections: config.connection.maxConnections,
      pingInterval: config.connection.pingInterval,
      pingTimeout: Math.max(1, config.connection.pingTimeout),
      tls: config.options.tls,
      allowedOrigins: config.options.allowedOrigins,
      maxConnectionsPerIp: config.options.maxConnectionsPerIp,
      protocols: config.options.protocols,
      idleTimeout: config.options.idleTimeout,
      maxBackpressure: config.options.maxBackpressure,
      closeOnBackpressureLimit: config.options.closeOnBackpressureLimit,
      inboundHighWaterMark: config.options.inboundHighWaterMark,
      perMessageDeflate: config.options.perMessageDeflate,
      open: onOpen,
      message: onMessage,
      close: onClose,
      error: onProtocolError,
    });
  }

  const members = {
    async start(options) {
      if (running || server) throw new HyphaeError(ErrorCodes.ALREADY_RUNNING, 'WebSocket server is already running');
      const settings = resolveStartOptions(options, config.websocket);
      server = createServer(settings);
      try {
        bound = await server.listen();
      } catch (error) {
        server = null;
        throw error;
      }
      running = true;
      startedAt = Date.now();
      if (settings.callback) invoke('start callback', settings.callback, []);
    },

    /** Closes every connection with 1001, waiting up to `timeout` ms (default options.closeTimeout). */
    async stop({ timeout = config.options.closeTimeout } = {}) {
      if (stopping) return stopping;
      if (!running || !server) return;
      stopping = (async () => {
        try {
          await server.close({ timeout });
        } finally {
          running = false;
          server = null;
          bound = null;
          startedAt = null;
          stopping = null;
        }
      })();
      return stopping;
    },

    isRunning() {
      return running;
    },
    getAddress() {
      return bound ? bound.address : null;
    },
    getPort() {
      return bound ? bound.port : null;
    },

    getConnection(id) {
      return connections.get(id) ?? null;
    },
    getAllConnections() {
      return [...connections.values()];
    },
    getConnectionCount() {
      return connections.size;
    },
    async closeConnection(id, code = 1000, reason = '') {
      connectionOrThrow(id).close(code, reason);
      return true;
    },

    /** @returns {Promise<number>} bytes queued */
    async send(id, message) {
      if (!routing.enableDirectSend) {
        throw new HyphaeError(ErrorCodes.DIRECT_SEND_DISABLED, 'Direct send is disabled (routing.enableDirectSend)');
      }
      return connectionOrThrow(id).send(message);
    },

    /** @returns {Promise<number>} how many connections the message was queued for */
    async broadcast(message, filter) {
      if (!routing.enableBroadcast) {
        throw new HyphaeError(ErrorCodes.BROADCAST_DISABLED, 'Broadcast is disabled (routing.enableBroadcast)');
      }
      // A function, or an object of metadata fields ({ userId: 'u1' }, { roles: ['admin'] }).
      filter = compileFilter(filter);
      const payload = encodeOutgoing(message); // serialised once for everyone
      let sent = 0;
      for (const connection of connections.values()) {
        if (!connection.isOpen()) continue;
        if (filter) {
          let wanted;
          try {
            wanted = filter(connection);
          } catch (error) {
            handlerFailed('broadcast filter', error, connection);
            continue;
          }
          if (!wanted) continue;
        }
        if (connection.socket.send(payload) > 0) sent++;
      }
      return sent;
    },

    /**
     * Seed 004's reliable delivery: sends `payload` to the connections of
     * `key` (delivery.keyOf) as `{ id, type, timestamp, priority, payload,
     * requiresAck: true }`, again on each new connection of the key, until
     * one answers `websocket://ack` with its id.
     * @returns {Promise<{ id: string, attempts: number }>}
     */
    deliver(key, payload, options) {
      return outbox.deliver(key, payload, options);
    },
    /** Deliveries not yet confirmed, for one key or for all. */
    getPendingDeliveries(key) {
      return outbox.pending(key);
    },

    /**
     * Publishes to every subscriber of a topic (a "room" in seed 002's words).
     * @returns {number} frame bytes, or 0 when the topic has no subscribers
     */
    publish(topic, message) {
      assertTopic(topic);
      const frame = encodeOutgoing(message);
      history.record(topic, message, frame);
      return server ? server.publish(topic, frame) : 0;
    },
    subscriberCount(topic) {
      return server ? server.subscriberCount(topic) : 0;
    },
    /** Topics with at least one subscriber. */
    getRooms() {
      return server ? server.topics() : [];
    },
    /** Ids of the connections subscribed to a room. */
    getRoomMembers(room) {
      return [...connections.values()].filter((connection) => connection.isSubscribed(room)).map((c) => c.id);
    },
    // Seed 002's room vocabulary, over the same topics.
    joinRoom(connectionId, room) {
      return connectionOrThrow(connectionId).subscribe(room);
    },
    leaveRoom(connectionId, room) {
      return connectionOrThrow(connectionId).unsubscribe(room);
    },
    broadcastToRoom(room, message) {
      return members.publish(room, message);
    },

    /** Seed 002's health report. */
    getHealth() {
      return {
        healthy: running,
        connections: connections.size,
        rooms: server ? server.topics().length : 0,
        subscriptions: server ? server.subscriptionCount : 0,
        uptime: startedAt === null ? 0 : Date.now() - startedAt,
        timestamp: Date.now(),
      };
    },
    /** Counters since start(): messages and bytes in/out, publishes, drops, backpressure, connections. */
    getStats() {
      const stats = server
        ? server.stats()
        : { ...IDLE_CORE_STATS, connections: 0, topics: 0, subscriptions: 0 };
      return { ...stats, running };
    },

    onConnection(fn) {
      return addListener('connection', fn, 'onConnection');
    },
    onDisconnection(fn) {
      return addListener('disconnection', fn, 'onDisconnection');
    },
    onError(fn) {
      return addListener('error', fn, 'onError');
    },
    /** Binary frames go to these handlers; without one they get a BINARY_NOT_SUPPORTED reply. */
    onBinary(fn) {
      return addListener('binary', fn, 'onBinary');
    },

    registerMessageHandler(path, handler) {
      return router.register(path, handler);
    },
    unregisterMessageHandler(path) {
      return router.unregister(path);
    },

    /** Runs the request pipeline for a connection and resolves with the reply (not sent). */
    async routeMessage(id, wsMessage) {
      return processEnvelope(connectionOrThrow(id), wsMessage);
    },
    /**
     * Runs a message through the same pipeline with no connection (the REST
     * fallback): handlers get `connection: null` and `auth`.
     */
    async routeRequest(message, { auth = null } = {}) {
      return processEnvelope(null, message, auth);
    },

    get _server() {
      return server ?? IDLE_SERVER;
    },
    get _isRunning() {
      return running;
    },
    get _connections() {
      return connections;
    },
  };

  return {
    members,
    dispose: () => {
      outbox.cancelAll('the facet was disposed');
      return members.stop();
    },
  };
}

/** A facet for plain Node (no framework): the same members as the hook's. */
export function createWebSocketFacet(config = {}) {
  const { members } = createFacetMembers(config);
  return members;
}

// The kernel's router answers { success, subsystem, messageId, result: { accepted,
// processed, result: handlerResult } }; the reply is built from handlerResult.
export function unwrapKernelResult(result) {
  if (result && typeof result === 'object' && 'result' in result && 'subsystem' in result && 'messageId' in result) {
    const inner = result.result;
    if (inner && typeof inner === 'object' && 'result' in inner) return inner.result;
  }
  return result;
}

// A seed 002 request's `id` is its correlation id.
function correlationOf(envelope) {
  return envelope?.correlationId ?? (isActionRequest(envelope) ? envelope.id ?? null : null);
}

function messageOf(error) {
  return error instanceof Error && error.message ? error.message : 'Handler failed';
}

import WebSocket from 'ws';
import { once } from 'node:events';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from '../../lib/index.js';
import { makeCertificates } from './helpers/certificates.js';
import { closed, collect, connect, nextMessage, startEchoServer } from './helpers/clients.js';

let certs;
beforeAll(() => {
  certs = makeCertificates();
});

describe('wss: the same API over TLS', () => {
  let fixture;
  let clients = [];
  afterEach(async () => {
    for (const client of clients) client.terminate();
    clients = [];
    await fixture?.server.close({ timeout: 100 });
    fixture = null;
  });

  const wssUrl = () => `wss://localhost:${fixture.port}`;
  const trusted = (options = {}) => {
    const client = new WebSocket(wssUrl(), { ca: certs.ca, ...options });
    clients.push(client);
    return client;
  };

  it('echoes text and binary through a ws client that verifies the certificate', async () => {
    fixture = await startEchoServer({ tls: { cert: certs.server.cert, key: certs.server.key } });
    const client = trusted();
    await once(client, 'open');
    client.send('over TLS');
    const [text, textIsBinary] = await nextMessage(client);
    expect(text.toString()).toBe('over TLS');
    expect(textIsBinary).toBe(false);
    const large = Buffer.alloc(300 * 1024, 7); // spans many TLS records
    client.send(large);
    const [data, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect(Buffer.compare(data, large)).toBe(0);
  });

  it('publishes to subscribers and closes with code and reason over TLS', async () => {
    fixture = await startEchoServer({
      tls: { cert: Buffer.from(certs.server.cert), key: Buffer.from(certs.server.key) },
      open: (ws) => ws.subscribe('news'),
    });
    const subscribers = [trusted(), trusted()];
    const opened = Promise.all(subscribers.map((client) => once(client, 'open')));
    // Both connections must be open (and subscribed) on the server before
    // publishing: two once() listeners would both resolve on the first.
    const serverSide = new Promise((resolve) => {
      const seen = [];
      fixture.server.on('connection', (ws) => {
        seen.push(ws);
        if (seen.length === 2) resolve(seen);
      });
    });
    await opened;
    const [first] = await serverSide;
    const received = subscribers.map((client) => collect(client, 3));
    for (const n of [1, 2, 3]) fixture.server.publish('news', `item ${n}`);
    for (const messages of await Promise.all(received)) expect(messages).toEqual(['item 1', 'item 2', 'item 3']);

    const done = subscribers.map(closed);
    const firstClosed = once(first, 'close');
    first.close(4000, 'done');
    await firstClosed;
    const results = await Promise.race(done.map((p, i) => p.then((value) => [i, value])));
    expect(results[1]).toEqual([4000, 'done']);
  });

  it('rejects a client that does not trust the certificate', async () => {
    fixture = await startEchoServer({ tls: { cert: certs.server.cert, key: certs.server.key } });
    const client = new WebSocket(wssUrl());
    clients.push(client);
    const [error] = await once(client, 'error').catch((e) => [e]);
    expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(fixture.server.connectionCount).toBe(0);
  });

  it('counts a plain ws:// client on a wss port as a failed TLS handshake, and never opens it', async () => {
    fixture = await startEchoServer({ tls: { cert: certs.server.cert, key: certs.server.key } });
    const client = new WebSocket(`ws://127.0.0.1:${fixture.port}`);
    clients.push(client);
    client.on('error', () => {});
    await new Promise((resolve) => client.once('close', resolve)); // once() would reject on 'error'

    expect(fixture.server.stats().tlsHandshakesFailed).toBe(1);
    expect(fixture.server.stats().connectionsOpened).toBe(0);
  });

  it('loads an encrypted key with its passphrase', async () => {
    fixture = await startEchoServer({
      tls: { cert: certs.server.cert, key: certs.server.encryptedKey, passphrase: 's3cret' },
    });
    const client = trusted();
    await once(client, 'open');
    client.send('unlocked');
    const [data] = await nextMessage(client);
    expect(data.toString()).toBe('unlocked');
  });

  it('with requestCert, admits only clients whose certificate the ca signed', async () => {
    fixture = await startEchoServer({
      tls: { cert: certs.server.cert, key: certs.server.key, ca: [certs.ca], requestCert: true },
    });
    const anonymous = trusted();
    anonymous.on('error', () => {});
    await new Promise((resolve) => anonymous.once('close', resolve));
    expect(fixture.server.connectionCount).toBe(0);

    const identified = trusted({ cert: certs.client.cert, key: certs.client.key });
    await once(identified, 'open');
    identified.send('known');
    const [data] = await nextMessage(identified);
    expect(data.toString()).toBe('known');
    // The client may see the alert before the server thread counts the failure.
    await vi.waitFor(() => expect(fixture.server.stats().tlsHandshakesFailed).toBe(1));
  });
});

describe('tls option errors', () => {
  it('an unreadable key, a wrong passphrase or a key of another certificate throws ERR_HYPHAE_TLS at once', () => {
    const attempts = [
      { cert: certs.server.cert, key: 'not a key' },
      { cert: 'not a certificate', key: certs.server.key },
      { cert: certs.server.cert, key: certs.server.encryptedKey, passphrase: 'wrong' },
      { cert: certs.server.cert, key: certs.client.key },
    ];
    for (const tls of attempts) {
      expect(() => new WebSocketServer({ tls })).toThrow(expect.objectContaining({ code: 'ERR_HYPHAE_TLS' }));
    }
  });

  it('a malformed tls option is an invalid option naming it', () => {
    const shapes = [
      'pem',
      { cert: certs.server.cert },
      { cert: certs.server.cert, key: certs.server.key, requestCert: true },
      { cert: certs.server.cert, key: certs.server.key, passphrase: 1 },
      { cert: certs.server.cert, key: certs.server.key, extra: true },
    ];
    for (const tls of shapes) {
      expect(() => new WebSocketServer({ tls })).toThrow(
        expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('"tls"') }),
      );
    }
  });
});

describe('a plain server is not affected', () => {
  it('still speaks ws:// when tls is not given', async () => {
    const fixture = await startEchoServer();
    const client = await connect(fixture.url);
    client.send('plain');
    const [data] = await nextMessage(client);
    expect(data.toString()).toBe('plain');
    client.terminate();
    await fixture.server.close({ timeout: 100 });
  });
});

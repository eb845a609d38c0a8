import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, nextMessage, startEchoServer } from './helpers/clients.js';

// 100 KB that compresses well.
const TEXT = 'hyphae compresses repetitive text '.repeat(3000);

describe('permessage-deflate', () => {
  let fixture;
  afterEach(async () => {
    await fixture?.server.close();
  });

  it('is off by default: a client that offers it gets plain frames', async () => {
    fixture = await startEchoServer();
    const client = await connect(fixture.url, { perMessageDeflate: true });
    expect(client.extensions).toBe('');
    client.terminate();
  });

  it('compresses both ways with a ws client that offers it, byte-exact', async () => {
    fixture = await startEchoServer({ perMessageDeflate: true });
    const client = await connect(fixture.url, { perMessageDeflate: true });
    expect(client.extensions).toContain('permessage-deflate');
    const before = { read: client._socket.bytesRead, written: client._socket.bytesWritten };
    client.send(TEXT);
    const [echoed] = await nextMessage(client);
    expect(echoed.toString()).toBe(TEXT);
    // Both directions went compressed: far fewer bytes than the 100 KB message.
    expect(client._socket.bytesWritten - before.written).toBeLessThan(TEXT.length / 10);
    expect(client._socket.bytesRead - before.read).toBeLessThan(TEXT.length / 10);
    const binary = Buffer.alloc(50_000, 7);
    client.send(binary);
    const [back, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect(Buffer.compare(back, binary)).toBe(0);
    client.terminate();
  });

  it('publishes to compressing and plain subscribers alike', async () => {
    fixture = await startEchoServer({ perMessageDeflate: { level: 6, threshold: 64 } });
    const clients = [];
    for (const deflate of [true, true, false]) {
      const connection = once(fixture.server, 'connection');
      const client = await connect(fixture.url, { perMessageDeflate: deflate });
      (await connection)[0].subscribe('news');
      clients.push(client);
    }
    expect(clients.map((c) => c.extensions.includes('permessage-deflate'))).toEqual([true, true, false]);
    const inboxes = clients.map(nextMessage);
    fixture.server.publish('news', TEXT);
    for (const [data] of await Promise.all(inboxes)) expect(data.toString()).toBe(TEXT);
    for (const client of clients) client.terminate();
  });

  it('rejects ill-typed deflate options by name', async () => {
    const { WebSocketServer } = await import('../../lib/index.js');
    expect(() => new WebSocketServer({ perMessageDeflate: { level: 12 } })).toThrow(
      expect.objectContaining({ code: 'ERR_HYPHAE_INVALID_OPTION', message: expect.stringContaining('"perMessageDeflate"') }),
    );
  });
});

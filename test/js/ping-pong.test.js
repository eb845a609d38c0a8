// Pings and pongs from clients reach the `ping`/`pong` handlers and the
// connection's 'ping'/'pong' listeners (as ws and Bun report them), on
// hyphae's own frame path and on Beast's (permessage-deflate).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, startEchoServer } from './helpers/clients.js';

for (const perMessageDeflate of [false, true]) {
  describe(`ping and pong events${perMessageDeflate ? ' (permessage-deflate)' : ''}`, () => {
    let fixture;
    afterEach(async () => {
      await fixture?.server.close();
    });

    // An echo server recording every ping and pong, by handler and by listener.
    async function start(options = {}) {
      const seen = { handler: [], listener: [] };
      fixture = await startEchoServer({
        perMessageDeflate,
        ping: (ws, data) => seen.handler.push(['ping', Buffer.isBuffer(data), data.toString()]),
        pong: (ws, data) => seen.handler.push(['pong', Buffer.isBuffer(data), data.toString()]),
        ...options,
      });
      const sockets = [];
      fixture.server.on('connection', (ws) => {
        sockets.push(ws);
        ws.on('ping', (data) => seen.listener.push(['ping', Buffer.isBuffer(data), data.toString()]));
        ws.on('pong', (data) => seen.listener.push(['pong', Buffer.isBuffer(data), data.toString()]));
      });
      const client = await connect(fixture.url, { perMessageDeflate });
      await expect.poll(() => sockets.length).toBe(1);
      return { seen, client, socket: sockets[0] };
    }

    it("reports a client's ping with its payload, after answering it", async () => {
      const { seen, client } = await start();
      const pong = once(client, 'pong');
      client.ping('are you there');
      expect((await pong)[0].toString()).toBe('are you there');
      await expect.poll(() => seen.handler).toEqual([['ping', true, 'are you there']]);
      expect(seen.listener).toEqual([['ping', true, 'are you there']]);
      client.terminate();
    });

    it("reports the pong to ws.ping(), and an unsolicited pong, in order", async () => {
      const { seen, client, socket } = await start();
      expect(socket.ping('beat')).toBe(true);
      await expect.poll(() => seen.handler).toEqual([['pong', true, 'beat']]);
      client.pong('unasked');
      await expect.poll(() => seen.listener).toEqual([
        ['pong', true, 'beat'],
        ['pong', true, 'unasked'],
      ]);
      client.terminate();
    });

    it('sends an unsolicited pong with ws.pong()', async () => {
      const { client, socket } = await start();
      const pong = once(client, 'pong');
      expect(socket.pong('one way')).toBe(true);
      expect((await pong)[0].toString()).toBe('one way');
      client.terminate();
      await once(socket, 'close');
      expect(socket.pong('too late')).toBe(false);
    });

    it("keeps a ws-style heartbeat (isAlive set on 'pong') alive", async () => {
      const { client, socket } = await start({ ping: undefined, pong: undefined });
      let alive = 0;
      socket.on('pong', () => alive++);
      for (let beat = 1; beat <= 3; beat++) {
        socket.ping();
        await expect.poll(() => alive).toBe(beat);
      }
      expect(socket.readyState).toBe(1);
      client.terminate();
    });
  });
}

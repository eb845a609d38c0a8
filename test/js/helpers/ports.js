// Ports for tests that need nothing to be listening.
import { createServer } from 'node:net';
import { once } from 'node:events';

/** A loopback port on which nothing listens (it was free a moment ago). */
export async function unusedPort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

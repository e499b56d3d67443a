import { expect } from 'chai';
import { createServer } from 'node:net';
import pino from 'pino';
import { loadConfiguration } from '../../../src/composition/configuration';
import { closeContainer, createContainer } from '../../../src/composition/container';
import { TOKENS } from '../../../src/composition/tokens';

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The admin port (health, metrics) listens on ADMIN_HOST, the public port on HOST: operators keep
 * the first on an internal interface (docs/deployment.md). 127.0.0.2 is another loopback address,
 * an interface of its own for the test.
 */
describe('serve: the admin port listens on ADMIN_HOST, not on HOST', () => {
  it('answers /health/live on ADMIN_HOST and nothing on HOST at that port', async () => {
    const adminPort = await freePort('127.0.0.2');
    const config = loadConfiguration(
      {
        // Liveness needs no database: the pool is never asked for a connection.
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        PORT: '0',
        HOST: '127.0.0.1',
        ADMIN_PORT: String(adminPort),
        ADMIN_HOST: '127.0.0.2',
      },
      { servesHttp: true },
    );
    const container = createContainer('serve', config, pino({ level: 'silent' }));
    try {
      await container.getAsync(TOKENS.AdminService);
      const live = await fetch(`http://127.0.0.2:${adminPort}/health/live`);
      expect(live.status).to.equal(200);
      const onHost = await fetch(`http://127.0.0.1:${adminPort}/health/live`).then(
        (response) => response.status,
        (error: unknown) => (error as { cause?: { code?: string } }).cause?.code,
      );
      expect(onHost).to.equal('ECONNREFUSED');
    } finally {
      await closeContainer(container);
    }
  });
});

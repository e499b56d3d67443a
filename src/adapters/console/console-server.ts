import type Koa from 'koa';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface ListeningConsole {
  readonly address: AddressInfo;
  stop(): Promise<void>;
}

/** The console's own port (CONSOLE_PORT on HOST), apart from the intake and the admin port. */
export async function startConsole(
  app: Koa,
  port: number,
  host: string,
  logger: Logger,
): Promise<ListeningConsole> {
  const server = await new Promise<ReturnType<Koa['listen']>>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  logger.info(
    { address, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}/` },
    'console listening',
  );
  return {
    address,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      logger.info('console stopped');
    },
  };
}

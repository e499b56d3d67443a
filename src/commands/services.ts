import type { Logger } from 'pino';
import { migrateToLatest } from '../adapters/postgres/connection';
import type { Configuration } from '../composition/configuration';
import { closeContainer, createContainer, entryPoints } from '../composition/container';
import { TOKENS } from '../composition/tokens';

/**
 * `serve`, `relay`, `console` and `start`: runs intake, relay, console or all three until
 * SIGTERM/SIGINT, with one admin port (health of every part, one metrics registry) per intake or
 * relay process.
 */
export async function runServices(
  kind: 'serve' | 'relay' | 'start' | 'console',
  config: Configuration,
  logger: Logger,
): Promise<number> {
  const container = createContainer(kind, config, logger);
  // Once per process, before intake or relay touches the schema.
  await migrateToLatest(await container.getAsync(TOKENS.OwnDatabase));
  for (const entryPoint of entryPoints(kind)) await container.getAsync(entryPoint);
  await waitForShutdownSignal(logger);
  await closeContainer(container);
  return 0;
}

function waitForShutdownSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down: finishing requests and publishes in flight');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

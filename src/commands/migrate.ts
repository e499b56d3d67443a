import type { Logger } from 'pino';
import { migrateToLatest } from '../adapters/postgres/connection';
import type { Configuration } from '../composition/configuration';
import { closeContainer, createContainer } from '../composition/container';
import { TOKENS } from '../composition/tokens';

/** `migrate`: applies the database migrations and exits. */
export async function migrate(config: Configuration, logger: Logger): Promise<number> {
  const container = createContainer('migrate', config, logger);
  try {
    const applied = await migrateToLatest(await container.getAsync(TOKENS.OwnDatabase));
    logger.info({ applied }, applied.length === 0 ? 'database schema is up to date' : 'migrations applied');
    return 0;
  } finally {
    await closeContainer(container);
  }
}

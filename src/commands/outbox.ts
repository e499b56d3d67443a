import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { OUTBOX_USAGE, runOutboxCommand } from '../adapters/cli/outbox-cli';
import { migrateToLatest } from '../adapters/postgres/connection';
import type { Configuration } from '../composition/configuration';
import { closeContainer, createContainer } from '../composition/container';
import { TOKENS } from '../composition/tokens';

/** `wsb-gateway outbox …`: operator commands against the configured database. */
export async function outbox(
  config: Configuration,
  logger: Logger,
  args: readonly string[],
): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === 'help') {
    process.stdout.write(`${OUTBOX_USAGE}\n`);
    return args.length === 0 ? 2 : 0;
  }
  const container = createContainer('outbox', config, logger);
  try {
    await migrateToLatest(await container.getAsync(TOKENS.OwnDatabase));
    return await runOutboxCommand(
      args,
      {
        stats: await container.getAsync(TOKENS.ReportOutboxStatistics),
        show: await container.getAsync(TOKENS.ShowOutboxMessage),
        replay: await container.getAsync(TOKENS.ReplayOutboxMessages),
        park: await container.getAsync(TOKENS.ParkOutboxMessage),
        redact: await container.getAsync(TOKENS.RedactPayloads),
      },
      { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
      operatingSystemUser(),
    );
  } finally {
    await closeContainer(container);
  }
}

function operatingSystemUser(): string {
  const fromEnv = process.env.SUDO_USER ?? process.env.USER ?? process.env.LOGNAME;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

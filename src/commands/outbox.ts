import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { runOutboxCommand } from '../adapters/cli/outbox-cli';
import { compareSchema } from '../adapters/postgres/schema-version';
import type { Configuration } from '../composition/configuration';
import { closeContainer, createContainer } from '../composition/container';
import { TOKENS } from '../composition/tokens';

/** Exit code of an operator command refused because the database's schema is not this build's. */
const EXIT_REFUSED = 1;

/**
 * `wsb-gateway outbox …`: operator commands against the configured database. They never migrate
 * (that is `wsb-gateway migrate`, a planned step): against a schema older or newer than this build's
 * they stop and say so, before they read or change anything.
 */
export async function outbox(
  config: Configuration,
  logger: Logger,
  args: readonly string[],
): Promise<number> {
  const container = createContainer('outbox', config, logger);
  try {
    const refusal = schemaRefusal(await compareSchema(await container.getAsync(TOKENS.OwnDatabase)));
    if (refusal !== undefined) {
      process.stderr.write(`${refusal}\n`);
      return EXIT_REFUSED;
    }
    return await runOutboxCommand(
      args,
      {
        stats: await container.getAsync(TOKENS.ReportOutboxStatistics),
        explorer: await container.getAsync(TOKENS.OutboxExplorer),
        reveal: await container.getAsync(TOKENS.RevealPayload),
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

function schemaRefusal(comparison: Awaited<ReturnType<typeof compareSchema>>): string | undefined {
  switch (comparison._tag) {
    case 'Current':
    case 'Unreadable':
      return undefined;
    case 'Older':
      return `the database schema is older than this wsb-gateway: migration(s) ${comparison.missing.join(', ')} not applied. Run \`wsb-gateway migrate\` first, as planned in docs/operations.md (upgrading); operator commands never migrate.`;
    case 'Newer':
      return `the database schema is newer than this wsb-gateway: it has migration(s) ${comparison.unknown.join(', ')}, which this release does not know. Use the wsb-gateway release that ran \`wsb-gateway migrate\` on it; operator commands never migrate.`;
    default: {
      const unknown: never = comparison;
      throw new Error(`unhandled schema comparison ${JSON.stringify(unknown)}`);
    }
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

import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createKysely, createPool } from '../adapters/postgres/connection';
import type { Database } from '../adapters/postgres/database';
import { runningEmbeddedPostgres, startEmbeddedPostgres } from '../adapters/postgres/embedded-postgres';
import { type Configuration, ConfigurationError } from './configuration';
import { type DatabaseServer, TOKENS } from './tokens';

/**
 * The outbox database: the server at DATABASE_URL, or without it the embedded PGlite in DATA_DIR —
 * started by this process, or, when another gateway process already runs it, reached over its socket.
 * `ownPurpose` names the process's own small pool in pg_stat_activity (`wsb-gateway <purpose>`).
 */
export function databaseModule(ownPurpose: string, ownPoolSize = 2): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.DatabaseServer)
      .toResolvedValue(openDatabaseServer, [TOKENS.Configuration, TOKENS.Logger])
      .inSingletonScope()
      .onDeactivation((server) => server.stop());
    bind(TOKENS.OwnDatabase)
      .toResolvedValue(
        (server: DatabaseServer) => pool(server, ownPurpose, ownPoolSize),
        [TOKENS.DatabaseServer],
      )
      .inSingletonScope()
      .onDeactivation((db) => db.destroy());
  });
}

/** A pool of its own for a subsystem, closed when its binding is. */
export function poolFor(
  purpose: string,
  poolSize: (config: Configuration) => number,
): (server: DatabaseServer, config: Configuration) => Kysely<Database> {
  return (server, config) => pool(server, purpose, poolSize(config));
}

function pool(server: DatabaseServer, purpose: string, poolSize: number): Kysely<Database> {
  return createKysely(
    createPool({
      connectionString: server.connectionString,
      poolSize,
      connectionTimeoutMs: server.connectionTimeoutMs,
      applicationName: applicationName(purpose),
    }),
  );
}

async function openDatabaseServer(config: Configuration, logger: Logger): Promise<DatabaseServer> {
  if (config.databaseUrl !== undefined) {
    return {
      connectionString: config.databaseUrl,
      connectionTimeoutMs: config.dbConnectTimeoutMs,
      stop: () => Promise.resolve(),
    };
  }
  // PGlite runs one statement at a time: connections queue behind open transactions.
  const connectionTimeoutMs = Math.max(config.dbConnectTimeoutMs, 30_000);
  const running = await runningEmbeddedPostgres(config.dataDir);
  if (running !== undefined) {
    return { connectionString: running, connectionTimeoutMs, stop: () => Promise.resolve() };
  }
  if (config.nodeEnv === 'production') {
    throw new ConfigurationError([
      'DATABASE_URL is required when NODE_ENV=production (the embedded database is for trying the gateway out)',
    ]);
  }
  // Every pool of this process and of operator commands beside it shares the multiplexer.
  const embedded = await startEmbeddedPostgres(config.dataDir, 64);
  logger.warn(
    { dataDir: config.dataDir },
    'EMBEDDED DATABASE: no DATABASE_URL, using PGlite in the data folder. Fine for trying the gateway out; set DATABASE_URL for real use.',
  );
  return { connectionString: embedded.connectionString, connectionTimeoutMs, stop: () => embedded.stop() };
}

/**
 * How the process's pools name themselves in pg_stat_activity: `wsb-gateway <purpose> pid <pid>`,
 * so that the console can tell two relays on one host apart (OutboxExplorer.connectedProcesses).
 */
export function applicationName(purpose: string): string {
  return `wsb-gateway ${purpose} pid ${process.pid}`;
}

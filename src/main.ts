#!/usr/bin/env node
import 'reflect-metadata';
import { Container } from 'inversify';
import type { Server } from 'node:http';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import {
  DEVELOPMENT_AUDIENCE,
  DEVELOPMENT_ISSUER,
  developmentKeySet,
  loadOrCreateDevelopmentKeys,
  mintDevelopmentToken,
} from './adapters/auth/development-keys';
import {
  type Authenticator,
  JwtAuthenticator,
  keySetFromFile,
  keySetFromUrl,
  WRITE_SCOPE,
} from './adapters/auth/jwt-authenticator';
import { parseArguments } from './adapters/cli/arguments';
import { loadCodeLists } from './adapters/code-list-file';
import { type Configuration, ConfigurationError, loadConfiguration } from './adapters/config/configuration';
import { OUTBOX_USAGE, runOutboxCommand } from './adapters/cli/outbox-cli';
import { createAdminApp, listenAdmin, type ReadinessCheck } from './adapters/http/admin-app';
import { createIntakeApp } from './adapters/http/intake-app';
import { createPublicServer, listen } from './adapters/http/public-server';
import {
  applicationModule,
  operationsModule,
  operationsPostgresModule,
  postgresModule,
  relayModule,
} from './adapters/inversify/modules';
import { GatewayMetrics } from './adapters/metrics/gateway-metrics';
import { databaseReadiness } from './adapters/postgres/database-readiness';
import { KyselyOutboxReadModel } from './adapters/postgres/kysely-outbox-read-model';
import { TOKENS } from './adapters/inversify/tokens';
import { createLogger } from './adapters/logging';
import type { Kysely } from 'kysely';
import { createKysely, createPool, migrateToLatest } from './adapters/postgres/connection';
import type { Database } from './adapters/postgres/database';
import {
  type EmbeddedPostgres,
  runningEmbeddedPostgres,
  startEmbeddedPostgres,
} from './adapters/postgres/embedded-postgres';
import { PgListenWakeUp } from './adapters/postgres/pg-listen-wake-up';
import { observeAll, PinoRelayObserver } from './adapters/pino-relay-observer';
import { RedactionRunner } from './adapters/system/redaction-runner';
import type { RelayObserver } from './application/relay-ports';
import { AmqpMessagePublisher } from './adapters/rabbitmq/amqp-message-publisher';
import { CODE_LIST_NAMES } from './domain/notification';

const USAGE = `usage: wsb-gateway <command>

commands:
  serve      HTTP intake (the two Webservicebesked endpoints) into the outbox
  relay      worker: publishes the outbox to RabbitMQ (any number may run at once)
  start      serve and relay in one process
  migrate    apply database migrations and exit
  outbox     operator commands: stats, show, replay, park, redact (wsb-gateway outbox --help)
  token      print a development-mode bearer token (development mode only)
             [--client-id ID] [--scope SCOPE] [--ttl SECONDS]

configuration comes from environment variables; see README.md`;

/** The composition root: the only place that asks the container for anything. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  let config: Configuration;
  try {
    config = loadConfiguration(process.env, { servesHttp: command === 'serve' || command === 'start' });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const service = command === 'serve' || command === 'relay' || command === 'start';
  const logger = createLogger(config.logLevel, command, service ? 1 : 2);

  switch (command) {
    case 'token':
      return printToken(config, rest);
    case 'migrate':
      return migrate(config, logger);
    case 'serve':
      return runServices(config, logger, { intake: true, relay: false });
    case 'relay':
      return runServices(config, logger, { intake: false, relay: true });
    case 'start':
      return runServices(config, logger, { intake: true, relay: true });
    case 'outbox':
      return outbox(config, logger, rest);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly connectionString: string;
  close(): Promise<void>;
}

/**
 * The outbox database: the server at DATABASE_URL, or without it the embedded PGlite in DATA_DIR —
 * started by this process, or, when another gateway process already runs it, reached over its socket.
 */
async function openDatabase(
  config: Configuration,
  logger: Logger,
  purpose: string,
  poolSize = config.dbPoolSize,
): Promise<OpenDatabase> {
  let connectionString = config.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;
  let connectionTimeoutMs = config.dbConnectTimeoutMs;
  if (connectionString === undefined) {
    connectionString = await runningEmbeddedPostgres(config.dataDir);
    if (connectionString === undefined) {
      if (config.nodeEnv === 'production') {
        throw new ConfigurationError([
          'DATABASE_URL is required when NODE_ENV=production (the embedded database is for trying the gateway out)',
        ]);
      }
      // Every pool of this process and of operator commands beside it shares the multiplexer.
      embedded = await startEmbeddedPostgres(config.dataDir, 64);
      connectionString = embedded.connectionString;
      logger.warn(
        { dataDir: config.dataDir },
        'EMBEDDED DATABASE: no DATABASE_URL, using PGlite in the data folder. Fine for trying the gateway out; set DATABASE_URL for real use.',
      );
    }
    // PGlite runs one statement at a time: connections queue behind open transactions.
    connectionTimeoutMs = Math.max(connectionTimeoutMs, 30_000);
  }
  const db = createKysely(
    createPool({
      connectionString,
      poolSize,
      connectionTimeoutMs,
      applicationName: `wsb-gateway ${purpose}`,
    }),
  );
  return {
    db,
    connectionString,
    close: async () => {
      await db.destroy();
      await embedded?.stop();
    },
  };
}

async function migrate(config: Configuration, logger: Logger): Promise<number> {
  const { db, close } = await openDatabase(config, logger, 'migrate', 2);
  try {
    const applied = await migrateToLatest(db);
    logger.info({ applied }, applied.length === 0 ? 'database schema is up to date' : 'migrations applied');
    return 0;
  } finally {
    await close();
  }
}

async function buildAuthenticator(config: Configuration, logger: Logger): Promise<Authenticator> {
  if (config.auth.mode === 'development') {
    const keys = await loadOrCreateDevelopmentKeys(config.dataDir);
    logger.warn(
      { issuer: DEVELOPMENT_ISSUER, audience: DEVELOPMENT_AUDIENCE, dataDir: config.dataDir },
      'DEVELOPMENT MODE AUTH: no AUTH_* configuration, tokens are verified against a local key pair; mint one with `wsb-gateway token`. Never run like this in production.',
    );
    return new JwtAuthenticator({
      keys: developmentKeySet(keys),
      issuer: DEVELOPMENT_ISSUER,
      audience: DEVELOPMENT_AUDIENCE,
      algorithms: ['ES256'],
      clockToleranceSeconds: 30,
      requiredScope: WRITE_SCOPE,
    });
  }
  const auth = config.auth;
  return new JwtAuthenticator({
    keys:
      auth.jwksFile !== undefined ? await keySetFromFile(auth.jwksFile) : keySetFromUrl(auth.jwksUrl ?? ''),
    issuer: auth.issuer,
    audience: auth.audience,
    algorithms: auth.algorithms,
    clockToleranceSeconds: auth.clockToleranceSeconds,
    requiredScope: WRITE_SCOPE,
  });
}

async function printToken(config: Configuration, args: readonly string[]): Promise<number> {
  if (config.auth.mode !== 'development') {
    process.stderr.write('wsb-gateway token works in development mode only (no AUTH_* configuration)\n');
    return 2;
  }
  const options = parseArguments(args, ['client-id', 'scope', 'ttl']);
  const ttl = options['ttl'] === undefined ? 3600 : Number(options['ttl']);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write('--ttl must be a positive whole number of seconds\n');
    return 2;
  }
  const keys = await loadOrCreateDevelopmentKeys(config.dataDir);
  const token = await mintDevelopmentToken(keys, {
    ...(options['client-id'] !== undefined ? { clientId: options['client-id'] } : {}),
    ...(options['scope'] !== undefined ? { scope: options['scope'] } : {}),
    ttlSeconds: ttl,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

/** Something started that must be stopped, in order, on shutdown. */
interface Running {
  readonly readiness: readonly ReadinessCheck[];
  stop(): Promise<void>;
}

/**
 * Runs intake, relay or both until SIGTERM/SIGINT. One admin port (health of every part, one metrics
 * registry) per process. The process's own small pool, opened first, serves metrics and readiness
 * and, without DATABASE_URL, owns the embedded database, so it is closed last.
 */
async function runServices(
  config: Configuration,
  logger: Logger,
  parts: { readonly intake: boolean; readonly relay: boolean },
): Promise<number> {
  const own = await openDatabase(config, logger, 'admin', 2);
  // Once per process, before intake or relay touches the schema.
  await migrateToLatest(own.db);
  const metrics = createMetrics(own.db, logger);
  const readiness: ReadinessCheck[] = [databaseReadiness(own.db)];
  const running: Running[] = [];
  // The relay first, so the intake's first rows find it ready; stopped last, after intake.
  if (parts.relay) {
    const relayLogger = parts.intake ? logger.child({ subsystem: 'relay' }) : logger;
    const relay = await startRelay(config, relayLogger, metrics);
    running.unshift(relay);
    readiness.push(...relay.readiness);
  }
  if (parts.intake) {
    const intakeLogger = parts.relay ? logger.child({ subsystem: 'serve' }) : logger;
    running.unshift(await startServe(config, intakeLogger, metrics));
  }
  const admin = await startAdmin(config, logger, metrics, readiness);
  await waitForShutdownSignal(logger);
  for (const r of running) await r.stop();
  await closeAdmin(admin);
  await own.close();
  return 0;
}

async function startServe(config: Configuration, logger: Logger, metrics: GatewayMetrics): Promise<Running> {
  const { db, close } = await openDatabase(config, logger, 'serve');

  const codeLists = await loadCodeLists(config.codeListsFile);
  if (codeLists.loaded.length === 0) {
    logger.warn('no CODE_LISTS_FILE: every code from 0 to 10000000 is accepted without a code-list check');
  } else {
    const unchecked = CODE_LIST_NAMES.filter((name) => !codeLists.loaded.includes(name));
    logger.info({ checked: codeLists.loaded, unchecked }, 'code lists loaded');
  }

  const container = new Container();
  container.bind(TOKENS.Configuration).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.bind(TOKENS.Database).toConstantValue(db);
  container.bind(TOKENS.CodeLists).toConstantValue(codeLists);
  container.bind(TOKENS.Authenticator).toConstantValue(await buildAuthenticator(config, logger));

  container.bind(TOKENS.GatewayMetrics).toConstantValue(metrics);
  container.load(applicationModule, postgresModule);

  const app = createIntakeApp({
    acceptNotification: container.get(TOKENS.AcceptNotification),
    authenticator: container.get(TOKENS.Authenticator),
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    onRequestFinished: metrics.httpRequestFinished,
  });
  const server: Server = await listen(createPublicServer(app, config.tls, logger), config.port, config.host);
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  logger.info(
    {
      address,
      tls:
        config.tls === undefined
          ? 'off'
          : config.tls.clientCaFile === undefined
            ? 'on'
            : 'client certificates required',
      outboxNotify: config.relay.outboxNotify,
    },
    'intake listening',
  );
  return {
    readiness: [],
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await close();
      logger.info('intake stopped');
    },
  };
}

async function startRelay(config: Configuration, logger: Logger, metrics: GatewayMetrics): Promise<Running> {
  // One connection per open claim (each holds its transaction): up to twice the batches in flight,
  // as batches that have their confirms settle beside the next ones; two to spare (redaction, metrics).
  const { db, connectionString, close } = await openDatabase(
    config,
    logger,
    'relay',
    2 * config.relay.inFlightBatches + 2,
  );

  const publisher = new AmqpMessagePublisher(
    {
      url: config.amqpUrl,
      exchange: config.amqpExchange,
      queues: config.amqpQueues,
      appId: config.appId,
      confirmTimeoutMs: config.relay.confirmTimeoutMs,
      reconnectBaseMs: config.relay.reconnectBaseMs,
      reconnectMaxMs: config.relay.reconnectMaxMs,
      connectionName: `wsb-gateway relay pid ${process.pid}`,
    },
    logger,
  );
  const wakeUp = new PgListenWakeUp(connectionString, logger);

  const container = new Container();
  container.bind(TOKENS.Configuration).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.bind(TOKENS.RelayDatabase).toConstantValue(db);
  container.bind(TOKENS.MessagePublisher).toConstantValue(publisher);
  container.bind(TOKENS.OutboxWakeUp).toConstantValue(wakeUp);
  container.bind(TOKENS.Database).toConstantValue(db);
  container.bind(TOKENS.GatewayMetrics).toConstantValue(metrics);
  container
    .bind(TOKENS.RelayObserver)
    .toConstantValue(observeAll(new PinoRelayObserver(logger), metricsRelayObserver(metrics)));
  container.load(applicationModule, relayModule, operationsModule, operationsPostgresModule);
  const relay = container.get(TOKENS.RelayOutbox);
  const redaction = new RedactionRunner(
    container.get(TOKENS.RedactPayloads),
    config.redactionIntervalSeconds * 1000,
    logger,
  );

  publisher.start();
  wakeUp.start();
  const stopRelay = new AbortController();
  const relaying = relay.execute(stopRelay.signal);
  if (config.redactionIntervalSeconds > 0) redaction.start();

  logger.info(
    {
      exchange: config.amqpExchange,
      batchSize: config.relay.batchSize,
      inFlight: config.relay.inFlightBatches,
      chainLength: config.relay.chainLength,
    },
    'relay started',
  );
  return {
    readiness: [
      {
        name: 'broker',
        check: () =>
          publisher.isReady
            ? Promise.resolve()
            : Promise.reject(new Error('not connected to RabbitMQ, or blocked by it')),
      },
    ],
    stop: async () => {
      // Stop claiming, let the batches in flight get their confirms and settle, then disconnect.
      stopRelay.abort();
      await redaction.stop();
      await relaying;
      await publisher.stop();
      await wakeUp.stop();
      await close();
      logger.info('relay stopped');
    },
  };
}

/** The relay's reports as Prometheus metrics. */
function metricsRelayObserver(metrics: GatewayMetrics): RelayObserver {
  return {
    batchClaimed: (size) => metrics.relayBatch(size),
    delivered: (count) => metrics.published(count),
    // `blocked` (connection.blocked) is a broker-side refusal to accept publishes: a connection reason.
    publishFailed: (reason, count) =>
      metrics.publishFailed(reason === 'blocked' ? 'connection' : reason, count),
    confirmLatency: (ms) => metrics.confirmLatency(ms / 1000),
    storeFailed: () => undefined,
  };
}

/** Metrics for one process; the outbox gauges read the database on every scrape. */
function createMetrics(db: Kysely<Database>, logger: Logger): GatewayMetrics {
  const readModel = new KyselyOutboxReadModel(db);
  return new GatewayMetrics({
    undelivered: () => readModel.undelivered(),
    onCollectError: (error) =>
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'outbox metrics unavailable',
      ),
    processMetrics: true,
  });
}

/** The admin port (health, metrics); none when ADMIN_PORT=0. */
async function startAdmin(
  config: Configuration,
  logger: Logger,
  metrics: GatewayMetrics,
  readinessChecks: readonly ReadinessCheck[],
): Promise<Server | undefined> {
  if (config.adminPort === 0) {
    logger.info('ADMIN_PORT=0: no health or metrics endpoints');
    return undefined;
  }
  const admin = await listenAdmin(
    createAdminApp({ metrics, readinessChecks, logger }),
    config.adminPort,
    config.host,
  );
  logger.info({ address: admin.address() }, 'admin (health, metrics) listening');
  return admin;
}

function closeAdmin(admin: Server | undefined): Promise<void> {
  if (admin === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    admin.close(() => resolve());
    admin.closeAllConnections();
  });
}

/** `wsb-gateway outbox …`: operator commands against the configured database. */
async function outbox(config: Configuration, logger: Logger, args: readonly string[]): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === 'help') {
    process.stdout.write(`${OUTBOX_USAGE}\n`);
    return args.length === 0 ? 2 : 0;
  }
  const { db, close } = await openDatabase(config, logger, 'outbox', 2);
  await migrateToLatest(db);
  const container = new Container();
  container.bind(TOKENS.Configuration).toConstantValue(config);
  container.bind(TOKENS.Database).toConstantValue(db);
  container.load(applicationModule, operationsModule, operationsPostgresModule);
  try {
    return await runOutboxCommand(
      args,
      {
        stats: container.get(TOKENS.ReportOutboxStatistics),
        show: container.get(TOKENS.ShowOutboxMessage),
        replay: container.get(TOKENS.ReplayOutboxMessages),
        park: container.get(TOKENS.ParkOutboxMessage),
        redact: container.get(TOKENS.RedactPayloads),
      },
      { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
      operatingSystemUser(),
    );
  } finally {
    await close();
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`wsb-gateway failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
import 'reflect-metadata';
import { Container } from 'inversify';
import type { Server } from 'node:http';
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
import { createIntakeApp } from './adapters/http/intake-app';
import { applicationModule, postgresModule, relayModule } from './adapters/inversify/modules';
import { TOKENS } from './adapters/inversify/tokens';
import { createLogger } from './adapters/logging';
import { createKysely, createPool, migrateToLatest } from './adapters/postgres/connection';
import { PgListenWakeUp } from './adapters/postgres/pg-listen-wake-up';
import { PinoRelayObserver } from './adapters/pino-relay-observer';
import { AmqpMessagePublisher } from './adapters/rabbitmq/amqp-message-publisher';
import { CODE_LIST_NAMES } from './domain/notification';

const USAGE = `usage: wsb-gateway <command>

commands:
  serve      HTTP intake (the two Webservicebesked endpoints) into the outbox
  relay      worker: publishes the outbox to RabbitMQ (any number may run at once)
  start      serve and relay in one process
  migrate    apply database migrations and exit
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
    config = loadConfiguration();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, command);

  switch (command) {
    case 'token':
      return printToken(config, rest);
    case 'migrate':
      return migrate(config, logger);
    case 'serve':
      return runUntilSignal(logger, [await startServe(config, logger)]);
    case 'relay':
      return runUntilSignal(logger, [await startRelay(config, logger)]);
    case 'start': {
      // The relay first, so the intake's first rows find it ready; stopped last, after intake.
      const relay = await startRelay(config, logger.child({ subsystem: 'relay' }));
      const intake = await startServe(config, logger.child({ subsystem: 'serve' }));
      return runUntilSignal(logger, [intake, relay]);
    }
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

function requireDatabaseUrl(config: Configuration): string {
  if (config.databaseUrl === undefined) {
    throw new ConfigurationError(['DATABASE_URL is required (postgres://user@host:port/database)']);
  }
  return config.databaseUrl;
}

async function migrate(config: Configuration, logger: Logger): Promise<number> {
  const pool = createPool({
    connectionString: requireDatabaseUrl(config),
    poolSize: 2,
    connectionTimeoutMs: config.dbConnectTimeoutMs,
    applicationName: 'wsb-gateway migrate',
  });
  const db = createKysely(pool);
  try {
    const applied = await migrateToLatest(db);
    logger.info({ applied }, applied.length === 0 ? 'database schema is up to date' : 'migrations applied');
    return 0;
  } finally {
    await db.destroy();
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
  stop(): Promise<void>;
}

async function runUntilSignal(logger: Logger, running: readonly Running[]): Promise<number> {
  await waitForShutdownSignal(logger);
  for (const r of running) await r.stop();
  return 0;
}

async function startServe(config: Configuration, logger: Logger): Promise<Running> {
  const pool = createPool({
    connectionString: requireDatabaseUrl(config),
    poolSize: config.dbPoolSize,
    connectionTimeoutMs: config.dbConnectTimeoutMs,
    applicationName: 'wsb-gateway serve',
  });
  const db = createKysely(pool);
  await migrateToLatest(db);

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
  container.load(applicationModule, postgresModule);

  const app = createIntakeApp({
    acceptNotification: container.get(TOKENS.AcceptNotification),
    authenticator: container.get(TOKENS.Authenticator),
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    retryAfterSeconds: config.retryAfterSeconds,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  logger.info({ address, outboxNotify: config.relay.outboxNotify }, 'intake listening');

  return {
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.destroy();
      logger.info('intake stopped');
    },
  };
}

async function startRelay(config: Configuration, logger: Logger): Promise<Running> {
  const databaseUrl = requireDatabaseUrl(config);
  const pool = createPool({
    connectionString: databaseUrl,
    // One connection per batch in flight (each holds its claim's transaction), one to spare.
    poolSize: config.relay.inFlightBatches + 1,
    connectionTimeoutMs: config.dbConnectTimeoutMs,
    applicationName: 'wsb-gateway relay',
  });
  const db = createKysely(pool);
  await migrateToLatest(db);

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
  const wakeUp = new PgListenWakeUp(databaseUrl, logger);

  const container = new Container();
  container.bind(TOKENS.Configuration).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.bind(TOKENS.RelayDatabase).toConstantValue(db);
  container.bind(TOKENS.MessagePublisher).toConstantValue(publisher);
  container.bind(TOKENS.OutboxWakeUp).toConstantValue(wakeUp);
  container.bind(TOKENS.RelayObserver).toConstantValue(new PinoRelayObserver(logger));
  container.load(applicationModule, relayModule);
  const relay = container.get(TOKENS.RelayOutbox);

  publisher.start();
  wakeUp.start();
  const stopRelay = new AbortController();
  const relaying = relay.execute(stopRelay.signal);
  logger.info(
    {
      exchange: config.amqpExchange,
      batchSize: config.relay.batchSize,
      inFlight: config.relay.inFlightBatches,
    },
    'relay started',
  );
  return {
    stop: async () => {
      // Stop claiming, let the batches in flight get their confirms and settle, then disconnect.
      stopRelay.abort();
      await relaying;
      await publisher.stop();
      await wakeUp.stop();
      await db.destroy();
      logger.info('relay stopped');
    },
  };
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

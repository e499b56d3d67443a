import { ContainerModule } from 'inversify';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  DEVELOPMENT_AUDIENCE,
  DEVELOPMENT_ISSUER,
  developmentKeySet,
  loadOrCreateDevelopmentKeys,
} from '../adapters/auth/development-keys';
import { JwtAuthenticator, keySetFromFile, keySetFromUrl } from '../adapters/auth/jwt-authenticator';
import { loadCodeLists } from '../adapters/code-list-file';
import { createIntakeApp } from '../adapters/http/intake-app';
import { propagateTraceContext } from '../adapters/http/request-tracing';
import { createPublicServer, listen } from '../adapters/http/public-server';
import type { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import type { Database } from '../adapters/postgres/database';
import {
  DEFAULT_IN_DOUBT,
  type GroupCommitObserver,
  GroupCommitUnitOfWork,
} from '../adapters/postgres/group-commit-unit-of-work';
import { notifyRelayAfterCommit, traceCommits } from '../adapters/postgres/notify-relay-after-commit';
import type { LatencyTrace } from '../adapters/latency-trace';
import { OUTBOX_CHANNEL } from '../adapters/postgres/pg-listen-wake-up';
import { randomIds } from '../adapters/system/system-clock';
import { AcceptNotification } from '../application/intake/accept-notification';
import { type Authenticator, WRITE_SCOPE } from '../application/intake/authentication';
import type { Clock } from '../application/clock';
import type { IdGenerator, UnitOfWork } from '../application/intake/ports';
import type { RequestTracing } from '../application/intake/request-tracing';
import type { CodeLists } from '../domain/code-lists';
import { CODE_LIST_NAMES } from '../domain/notification';
import { type Configuration, listenOn } from './configuration';
import { poolFor } from './database-module';
import { type Service, TOKENS } from './tokens';

/** The HTTP intake: authentication, code lists, the group-commit outbox and the public server. */
export function intakeModule(logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.IntakeLogger).toConstantValue(logger);
    bind(TOKENS.IdGenerator).toConstantValue(randomIds);
    bind(TOKENS.IntakeDatabase)
      .toResolvedValue(
        poolFor('serve', (config) => config.dbPoolSize),
        [TOKENS.DatabaseServer, TOKENS.Configuration],
      )
      .inSingletonScope()
      .onDeactivation((db) => db.destroy());
    bind(TOKENS.CodeLists)
      .toResolvedValue(codeLists, [TOKENS.Configuration, TOKENS.IntakeLogger])
      .inSingletonScope();
    bind(TOKENS.Authenticator)
      .toResolvedValue(authenticator, [TOKENS.Configuration, TOKENS.IntakeLogger])
      .inSingletonScope();
    // INTAKE_BATCH_MAX=1 is group commit with batches of one: it keeps the commit-in-doubt check.
    bind(TOKENS.IntakeUnitOfWork)
      .toResolvedValue(
        (
          db: Kysely<Database>,
          config: Configuration,
          log: Logger,
          metrics: GatewayMetrics,
          { trace }: { readonly trace: LatencyTrace | undefined },
        ): UnitOfWork => {
          const notify = config.relay.outboxNotify
            ? notifyRelayAfterCommit(db, OUTBOX_CHANNEL, undefined, trace)
            : undefined;
          return new GroupCommitUnitOfWork(
            db,
            {
              maxBatchSize: config.intakeBatchMax,
              maxConcurrentBatches: config.intakeConcurrentBatches,
              inDoubt: { timeoutMs: config.intakeInDoubtTimeoutMs, graceMs: DEFAULT_IN_DOUBT.graceMs },
            },
            groupCommitObserver(log, metrics),
            trace === undefined ? notify : traceCommits(trace, notify),
          );
        },
        [
          TOKENS.IntakeDatabase,
          TOKENS.Configuration,
          TOKENS.IntakeLogger,
          TOKENS.GatewayMetrics,
          TOKENS.LatencyTrace,
        ],
      )
      .inSingletonScope();
    bind(TOKENS.AcceptNotification)
      .toResolvedValue(
        (lists: CodeLists, uow: UnitOfWork, clock: Clock, ids: IdGenerator, config: Configuration) =>
          new AcceptNotification(lists, uow, clock, ids, { exchange: config.amqpExchange }),
        [TOKENS.CodeLists, TOKENS.IntakeUnitOfWork, TOKENS.Clock, TOKENS.IdGenerator, TOKENS.Configuration],
      )
      .inSingletonScope();
    bind(TOKENS.RequestTracing)
      .toResolvedValue(
        (tracing: { readonly exporter: RequestTracing | undefined }) =>
          tracing.exporter ?? propagateTraceContext,
        [TOKENS.Tracing],
      )
      .inSingletonScope();
    bind(TOKENS.IntakeService)
      .toResolvedValue(startIntake, [
        TOKENS.Configuration,
        TOKENS.IntakeLogger,
        TOKENS.AcceptNotification,
        TOKENS.Authenticator,
        TOKENS.GatewayMetrics,
        TOKENS.RequestTracing,
      ])
      .inSingletonScope()
      .onDeactivation((service) => service.stop());
  });
}

async function startIntake(
  config: Configuration,
  logger: Logger,
  acceptNotification: AcceptNotification,
  authenticator: Authenticator,
  metrics: GatewayMetrics,
  tracing: RequestTracing,
): Promise<Service> {
  const app = createIntakeApp({
    acceptNotification,
    authenticator,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    onRequestFinished: metrics.httpRequestFinished,
    tracing,
  });
  const server = await listenOn('PORT', config.port, config.host, () =>
    listen(createPublicServer(app, config.tls, logger), config.port, config.host),
  );
  server.keepAliveTimeout = 65_000;
  logger.info(
    {
      address: server.address(),
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
    name: 'intake',
    readiness: [],
    address: server.address() as AddressInfo,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      logger.info('intake stopped');
    },
  };
}

async function codeLists(config: Configuration, logger: Logger): Promise<CodeLists> {
  const lists = await loadCodeLists(config.codeListsFile);
  if (lists.loaded.length === 0) {
    logger.warn('no CODE_LISTS_FILE: every code from 0 to 10000000 is accepted without a code-list check');
  } else {
    const unchecked = CODE_LIST_NAMES.filter((name) => !lists.loaded.includes(name));
    logger.info({ checked: lists.loaded, unchecked }, 'code lists loaded');
  }
  return lists;
}

async function authenticator(config: Configuration, logger: Logger): Promise<Authenticator> {
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

/** Group commit's rare events: a warning each (never a value from a row), and a counter. */
function groupCommitObserver(logger: Logger, metrics: GatewayMetrics | undefined): GroupCommitObserver {
  return {
    batchStarted: (size) => metrics?.intakeBatch(size),
    commitInDoubt: (outcome, rows, durationMs) => {
      metrics?.intakeCommitInDoubt(outcome);
      logger.warn(
        { outcome, rows, durationMs: Math.round(durationMs) },
        'connection lost during COMMIT: commit in doubt resolved',
      );
    },
    batchSplit: (size, failure) => {
      metrics?.intakeBatchSplit();
      logger.warn(
        { batchSize: size, ...failure },
        'intake batch refused by the database: split to find the request that caused it',
      );
    },
  };
}

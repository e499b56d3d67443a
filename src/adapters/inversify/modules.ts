import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AcceptNotification } from '../../application/accept-notification';
import type { Clock, IdGenerator, UnitOfWork } from '../../application/ports';
import { RelayOutbox } from '../../application/relay-outbox';
import type {
  MessagePublisher,
  OutboxRelayStore,
  OutboxWakeUp,
  RelayObserver,
} from '../../application/relay-ports';
import type { CodeLists } from '../../domain/code-lists';
import type { Configuration } from '../config/configuration';
import { InMemoryOutbox } from '../in-memory/in-memory-outbox';
import type { Database } from '../postgres/database';
import {
  DEFAULT_IN_DOUBT,
  type GroupCommitObserver,
  GroupCommitUnitOfWork,
  notifyRelayAfterCommit,
} from '../postgres/group-commit-unit-of-work';
import { KyselyRelayStore } from '../postgres/kysely-relay-store';
import { OUTBOX_CHANNEL } from '../postgres/pg-listen-wake-up';
import { KyselyUnitOfWork } from '../postgres/kysely-unit-of-work';
import type {
  OperatorUnitOfWork,
  OutboxReadModel,
  PayloadRedactionStore,
} from '../../application/operations-ports';
import { ParkOutboxMessage } from '../../application/park-outbox-message';
import { RedactPayloads } from '../../application/redact-payloads';
import { ReplayOutboxMessages } from '../../application/replay-outbox-messages';
import { ReportOutboxStatistics } from '../../application/report-outbox-statistics';
import { ShowOutboxMessage } from '../../application/show-outbox-message';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { KyselyOperatorUnitOfWork } from '../postgres/kysely-operator-unit-of-work';
import { KyselyOutboxReadModel } from '../postgres/kysely-outbox-read-model';
import { KyselyPayloadRedactionStore } from '../postgres/kysely-payload-redaction-store';
import { randomIds, systemClock } from '../system/system-clock';
import { TOKENS } from './tokens';

/** Application use cases; no decorators, so domain and application code stay framework-free. */
export const applicationModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Clock).toConstantValue(systemClock);
  bind(TOKENS.IdGenerator).toConstantValue(randomIds);
  bind(TOKENS.AcceptNotification)
    .toResolvedValue(
      (codeLists: CodeLists, uow: UnitOfWork, clock: Clock, ids: IdGenerator, config: Configuration) =>
        new AcceptNotification(codeLists, uow, clock, ids, { exchange: config.amqpExchange }),
      [TOKENS.CodeLists, TOKENS.IntakeUnitOfWork, TOKENS.Clock, TOKENS.IdGenerator, TOKENS.Configuration],
    )
    .inSingletonScope();
});

/** The outbox in PostgreSQL; intake group-commits concurrent requests. */
export const postgresModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.UnitOfWork)
    .toResolvedValue((db: Kysely<Database>) => new KyselyUnitOfWork(db), [TOKENS.Database])
    .inSingletonScope();
  // INTAKE_BATCH_MAX=1 is group commit with batches of one: it keeps the commit-in-doubt check.
  bind(TOKENS.IntakeUnitOfWork)
    .toResolvedValue(
      (db: Kysely<Database>, config: Configuration, logger: Logger, metrics: GatewayMetrics | undefined) =>
        new GroupCommitUnitOfWork(
          db,
          {
            maxBatchSize: config.intakeBatchMax,
            maxConcurrentBatches: config.intakeConcurrentBatches,
            inDoubt: { timeoutMs: config.intakeInDoubtTimeoutMs, graceMs: DEFAULT_IN_DOUBT.graceMs },
          },
          groupCommitObserver(logger, metrics),
          config.relay.outboxNotify ? notifyRelayAfterCommit(db, OUTBOX_CHANNEL) : undefined,
        ),
      [
        TOKENS.Database,
        TOKENS.Configuration,
        TOKENS.Logger,
        { serviceIdentifier: TOKENS.GatewayMetrics, optional: true },
      ],
    )
    .inSingletonScope();
});

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

/** Operator commands and payload redaction (use cases). Metrics are optional: the CLI has none. */
export const operationsModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.ReportOutboxStatistics)
    .toResolvedValue(
      (outbox: OutboxReadModel) => new ReportOutboxStatistics(outbox),
      [TOKENS.OutboxReadModel],
    )
    .inSingletonScope();
  bind(TOKENS.ShowOutboxMessage)
    .toResolvedValue((outbox: OutboxReadModel) => new ShowOutboxMessage(outbox), [TOKENS.OutboxReadModel])
    .inSingletonScope();
  bind(TOKENS.ReplayOutboxMessages)
    .toResolvedValue((uow: OperatorUnitOfWork) => new ReplayOutboxMessages(uow), [TOKENS.OperatorUnitOfWork])
    .inSingletonScope();
  bind(TOKENS.ParkOutboxMessage)
    .toResolvedValue((uow: OperatorUnitOfWork) => new ParkOutboxMessage(uow), [TOKENS.OperatorUnitOfWork])
    .inSingletonScope();
  bind(TOKENS.RedactPayloads)
    .toResolvedValue(
      (
        store: PayloadRedactionStore,
        clock: Clock,
        uow: OperatorUnitOfWork,
        config: Configuration,
        metrics: GatewayMetrics | undefined,
      ) =>
        new RedactPayloads(store, clock, metrics ?? { redacted: () => undefined }, uow, {
          retentionDays: config.payloadRetentionDays,
          batchSize: config.redactionBatchSize,
        }),
      [
        TOKENS.PayloadRedactionStore,
        TOKENS.Clock,
        TOKENS.OperatorUnitOfWork,
        TOKENS.Configuration,
        { serviceIdentifier: TOKENS.GatewayMetrics, optional: true },
      ],
    )
    .inSingletonScope();
});

/**
 * The relay use case over the outbox in PostgreSQL. The publisher, wake-up and observer are bound
 * by the composition root, which also owns their start and stop.
 */
export const relayModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.OutboxRelayStore)
    .toResolvedValue((db: Kysely<Database>) => new KyselyRelayStore(db), [TOKENS.RelayDatabase])
    .inSingletonScope();
  bind(TOKENS.RelayOutbox)
    .toResolvedValue(
      (
        store: OutboxRelayStore,
        publisher: MessagePublisher,
        wakeUp: OutboxWakeUp,
        clock: Clock,
        observer: RelayObserver,
        config: Configuration,
      ) =>
        new RelayOutbox(store, publisher, wakeUp, clock, observer, {
          batchSize: config.relay.batchSize,
          maxInFlightBatches: config.relay.inFlightBatches,
          chainLength: config.relay.chainLength,
          claimMaxRows: config.relay.claimMaxRows,
          idlePollMs: config.relay.idlePollMs,
          retryBaseMs: config.relay.retryBaseMs,
          retryMaxMs: config.relay.retryMaxMs,
        }),
      [
        TOKENS.OutboxRelayStore,
        TOKENS.MessagePublisher,
        TOKENS.OutboxWakeUp,
        TOKENS.Clock,
        TOKENS.RelayObserver,
        TOKENS.Configuration,
      ],
    )
    .inSingletonScope();
});

/** The operations ports in PostgreSQL. */
export const operationsPostgresModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.OutboxReadModel)
    .toResolvedValue((db: Kysely<Database>) => new KyselyOutboxReadModel(db), [TOKENS.Database])
    .inSingletonScope();
  bind(TOKENS.OperatorUnitOfWork)
    .toResolvedValue((db: Kysely<Database>) => new KyselyOperatorUnitOfWork(db), [TOKENS.Database])
    .inSingletonScope();
  bind(TOKENS.PayloadRedactionStore)
    .toResolvedValue((db: Kysely<Database>) => new KyselyPayloadRedactionStore(db), [TOKENS.Database])
    .inSingletonScope();
});

/** The outbox in memory: for tests and trying the HTTP layer without a database. */
export function inMemoryModule(outbox: InMemoryOutbox): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.UnitOfWork).toConstantValue(outbox.unitOfWork);
    bind(TOKENS.IntakeUnitOfWork).toConstantValue(outbox.unitOfWork);
  });
}

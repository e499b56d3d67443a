import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
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
import { GroupCommitUnitOfWork, notifyRelayOnCommit } from '../postgres/group-commit-unit-of-work';
import { KyselyRelayStore } from '../postgres/kysely-relay-store';
import { OUTBOX_CHANNEL } from '../postgres/pg-listen-wake-up';
import { KyselyUnitOfWork } from '../postgres/kysely-unit-of-work';
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
  bind(TOKENS.IntakeUnitOfWork)
    .toResolvedValue(
      (db: Kysely<Database>, config: Configuration) =>
        config.intakeBatchMax === 1
          ? new KyselyUnitOfWork(db)
          : new GroupCommitUnitOfWork(
              db,
              {
                maxBatchSize: config.intakeBatchMax,
                maxConcurrentBatches: config.intakeConcurrentBatches,
              },
              undefined,
              config.relay.outboxNotify ? notifyRelayOnCommit(OUTBOX_CHANNEL) : undefined,
            ),
      [TOKENS.Database, TOKENS.Configuration],
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

/** The outbox in memory: for tests and trying the HTTP layer without a database. */
export function inMemoryModule(outbox: InMemoryOutbox): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.UnitOfWork).toConstantValue(outbox.unitOfWork);
    bind(TOKENS.IntakeUnitOfWork).toConstantValue(outbox.unitOfWork);
  });
}

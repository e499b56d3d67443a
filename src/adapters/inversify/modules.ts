import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
import { AcceptNotification } from '../../application/accept-notification';
import type { Clock, IdGenerator, UnitOfWork } from '../../application/ports';
import type { CodeLists } from '../../domain/code-lists';
import type { Configuration } from '../config/configuration';
import { InMemoryOutbox } from '../in-memory/in-memory-outbox';
import type { Database } from '../postgres/database';
import { GroupCommitUnitOfWork } from '../postgres/group-commit-unit-of-work';
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
          : new GroupCommitUnitOfWork(db, {
              maxBatchSize: config.intakeBatchMax,
              maxConcurrentBatches: config.intakeConcurrentBatches,
            }),
      [TOKENS.Database, TOKENS.Configuration],
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

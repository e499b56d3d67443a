import type { Kysely } from 'kysely';
import type { TransactionalRepositories, UnitOfWork } from '../../src/application/intake/ports';
import type { Database } from '../../src/adapters/postgres/database';
import { translateUnavailable } from '../../src/adapters/postgres/connection';
import { KyselyOutboxRepository } from '../../src/adapters/postgres/kysely-outbox-repository';

/**
 * One database transaction per `run`, without group commit: what tests and the bench's reference
 * route use where production's GroupCommitUnitOfWork would only add batching.
 */
export class KyselyUnitOfWork implements UnitOfWork {
  constructor(private readonly db: Kysely<Database>) {}

  async run<T>(work: (repositories: TransactionalRepositories) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute((trx) => work({ outbox: new KyselyOutboxRepository(trx) }));
    } catch (error) {
      return translateUnavailable(error);
    }
  }
}

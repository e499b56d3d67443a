import type { Kysely } from 'kysely';
import type { TransactionalRepositories, UnitOfWork } from '../../application/intake/ports';
import type { Database } from './database';
import { translateUnavailable } from './connection';
import { KyselyOutboxRepository } from './kysely-outbox-repository';

/** One database transaction per `run`. */
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

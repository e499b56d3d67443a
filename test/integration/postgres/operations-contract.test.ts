import { describeOperationsContract } from '../../support/operations-contract';
import { postgresOperationsSubject } from '../../support/postgres-operations';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

describe('adapters/postgres: the operations contract against PostgreSQL', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_ops_contract');
  });

  after(async () => {
    await database.drop();
  });

  describeOperationsContract('Kysely operations adapters', () => postgresOperationsSubject(database.db));
});

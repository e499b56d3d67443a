import { describeOutboxExplorerContract } from '../../support/outbox-explorer-contract';
import { postgresExplorerSubject } from '../../support/postgres-operations';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

describe('adapters/postgres: KyselyOutboxExplorer', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_explorer_contract');
  });

  after(async () => {
    await database.drop();
  });

  describeOutboxExplorerContract('KyselyOutboxExplorer', () => postgresExplorerSubject(database));
});

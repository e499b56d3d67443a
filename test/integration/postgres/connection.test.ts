import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import { sql } from 'kysely';
import { createKysely, createPool, isDatabaseUnavailable } from '../../../src/adapters/postgres/connection';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/**
 * Found by the fault suite (test/faults, scenario 3): a PostgreSQL restart killed the relay with
 * "Unhandled 'error' event" from a client its claim held between statements.
 */
describe('adapters/postgres/connection: createPool', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_connection');
  });
  after(async () => {
    await database.drop();
  });

  it('survives a checked-out client losing its connection between statements, and recovers', async () => {
    const db = createKysely(
      createPool({
        connectionString: database.url,
        poolSize: 2,
        connectionTimeoutMs: 2000,
        applicationName: 'wsb-test-lost',
      }),
    );
    try {
      let failure: unknown;
      await db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          // The server ends the session while this transaction holds the client and runs nothing.
          await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(database.db);
          await delay(300);
          await sql`select 1`.execute(trx);
        })
        .catch((error: unknown) => {
          failure = error;
        });
      expect(
        isDatabaseUnavailable(failure),
        `the next statement fails as unavailable: ${String(failure)}`,
      ).to.equal(true);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows[0]?.one).to.equal(1);
    } finally {
      await db.destroy();
    }
  });
});

import { expect } from 'chai';
import { sql } from 'kysely';
import { holdConnection } from '../../../src/adapters/postgres/held-connection';
import { walkStatement } from '../../../src/adapters/postgres/sql/claim';
import { insertPendingRows } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** The claim's statements run by name on each connection (src/adapters/postgres/prepared-statements.ts). */
describe('prepared claim statements (PostgreSQL)', function () {
  this.timeout(60_000);
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_test_prepared');
    await insertPendingRows(database.db, {
      count: 3,
      entities: 3,
      exchange: 'test.prepared',
      payloadBytes: 64,
    });
  });
  after(() => database.drop());

  const preparedOn = (connection: Awaited<ReturnType<typeof holdConnection>>) =>
    sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`
      .execute(connection.db)
      .then((r) => r.rows);

  it('prepares the walk once per connection and runs it by name after that', async () => {
    const connection = await holdConnection(database.db);
    try {
      const walk = walkStatement({ limit: 10, probeMore: true, held: [] });
      const first = await walk.execute(connection.db);
      const second = await walkStatement({ limit: 10, probeMore: true, held: ['1'] }).execute(connection.db);
      expect(first.rows.map((r) => r.seq)).to.have.length(3);
      expect(second.rows.map((r) => r.seq)).to.have.length(2);
      const prepared = await preparedOn(connection);
      expect(prepared).to.have.length(1);
      expect(prepared[0]?.name).to.match(/^wsb_[0-9a-f]{20}_0$/);
      expect(prepared[0]?.statement).to.contain('with due as materialized');
      // Another text (no has_more probe) is another statement; unmarked statements stay unnamed.
      await walkStatement({ limit: 10, probeMore: false, held: [] }).execute(connection.db);
      await sql`select 1`.execute(connection.db);
      expect(await preparedOn(connection)).to.have.length(2);
    } finally {
      connection.release();
    }
  });

  it('prepares afresh, after one failed call, when a migration changes a result column type', async () => {
    const connection = await holdConnection(database.db);
    const walk = () => walkStatement({ limit: 10, probeMore: true, held: [] }).execute(connection.db);
    try {
      await walk();
      // A migration on another connection changes the type of a column the walk returns (the
      // audit view reads it too; this database is dropped after this, the last test).
      await sql`drop view outbox_audit`.execute(database.db);
      await sql`alter table outbox alter column routing_key type varchar(255)`.execute(database.db);
      let refused: unknown;
      await walk().catch((error: unknown) => (refused = error));
      expect((refused as { code?: string } | undefined)?.code, 'the cached plan is refused once').to.equal(
        '0A000',
      );
      const again = await walk();
      expect(again.rows).to.have.length(3);
      expect((await preparedOn(connection)).map((p) => p.name.slice(-2))).to.include('_1');
    } finally {
      connection.release();
    }
  });
});

import { expect } from 'chai';
import { sql } from 'kysely';
import { KyselyOutboxReadModel } from '../../../src/adapters/postgres/kysely-outbox-read-model';
import { deliveredStatement } from '../../../src/adapters/postgres/sql/settle';
import { insertPendingRows } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** Every pending row delivered, by the relay's own settle statement. */
async function deliverAll(database: TestDatabase): Promise<void> {
  const { rows } = await sql<{ seq: string }>`select seq from outbox_pending`.execute(database.db);
  await deliveredStatement(rows.map((r) => r.seq)).execute(database.db);
}

describe('adapters/postgres: KyselyOutboxReadModel counts delivered rows exactly, or estimates a long history', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_stats_estimate');
  });

  after(async () => {
    await database.drop();
  });

  it('counts while the table was never analysed, estimates from its statistics once the estimate passes the limit, and counts when asked to', async () => {
    // A limit of 10 stands in for COUNT_DELIVERED_BELOW, so that a few rows make a "long" history.
    const readModel = new KyselyOutboxReadModel(database.db, 10);
    await insertPendingRows(database.db, { count: 30, entities: 30, exchange: 'x', prefix: 'estimate' });
    await deliverAll(database);
    // Never analysed (30 rows are under autovacuum's threshold): no estimate, so the rows are counted.
    const unknown = await readModel.statistics('estimate');
    expect(unknown.deliveredEstimated).to.equal(false);
    expect(unknown.countByStatus.delivered).to.equal(30);

    await sql`analyze outbox_delivery`.execute(database.db);
    // Delivered after the statistics were taken: the estimate does not see them yet, a count does.
    await insertPendingRows(database.db, { count: 5, entities: 5, exchange: 'x', prefix: 'late' });
    await deliverAll(database);

    const estimated = await readModel.statistics('estimate');
    expect(estimated.deliveredEstimated).to.equal(true);
    expect(estimated.countByStatus.delivered).to.equal(30);

    const exact = await readModel.statistics('exact');
    expect(exact.deliveredEstimated).to.equal(false);
    expect(exact.countByStatus.delivered).to.equal(35);

    // Under the limit, the estimate is not used: the figure is exact.
    const under = await new KyselyOutboxReadModel(database.db, 1000).statistics('estimate');
    expect(under).to.deep.include({ deliveredEstimated: false });
    expect(under.countByStatus.delivered).to.equal(35);
  });
});

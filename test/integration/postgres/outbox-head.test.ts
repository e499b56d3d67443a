import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { sql } from 'kysely';
import { KyselyRelayStore } from '../../../src/adapters/postgres/kysely-relay-store';
import { insertPendingRows } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** outbox_head (migration 0005): each entity's oldest undelivered row, as the claim walks it. */
describe('adapters/postgres: outbox_head', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase('wsb_outbox_head');
  });

  afterEach(async () => {
    await database.drop();
  });

  /** What outbox_head should hold, computed from the outbox, against what it holds. */
  async function expectHeadsMatchOutbox(): Promise<void> {
    const { rows: wrong } = await sql<{ e: string }>`
      select coalesce(u.e, h.ekstern_identifier)::text as e
        from (select distinct on (ekstern_identifier) ekstern_identifier as e, seq,
                     case when status = 'pending' then next_attempt_at else 'infinity' end as due
                from outbox where status <> 'delivered' order by ekstern_identifier, seq) u
        full join outbox_head h on h.ekstern_identifier = u.e
       where h.seq is distinct from u.seq or h.due is distinct from u.due`.execute(database.db);
    expect(wrong).to.deep.equal([]);
  }

  it('follows intake, the relay’s settles (delivered and failed), park and replay', async () => {
    await insertPendingRows(database.db, { count: 300, entities: 30, exchange: 'x', prefix: 'head' });
    await expectHeadsMatchOutbox();
    const store = new KyselyRelayStore(database.db);
    const batch = await store.claim(20, { perEntity: 4, rows: 1000 });
    const [first, ...rest] = batch.messages;
    await batch.settle(
      rest.map((m) => m.seq),
      [first!].map((m) => ({
        seq: m.seq,
        reason: 'nack' as const,
        detail: 'test',
        nextAttemptAt: new Date(Date.now() + 60_000),
        countsAsAttempt: true,
      })),
    );
    await expectHeadsMatchOutbox();
    await sql`update outbox set status = 'parked' where seq in (select seq from outbox_head order by seq limit 3)`.execute(
      database.db,
    );
    await expectHeadsMatchOutbox();
    await sql`update outbox set status = 'pending' where status <> 'pending'`.execute(database.db);
    await expectHeadsMatchOutbox();
    await sql`delete from outbox where seq in (select seq from outbox_head order by seq limit 2)`.execute(
      database.db,
    );
    await expectHeadsMatchOutbox();
  });

  it('a relay repairs a missing or stale entry before it claims', async () => {
    const entity = randomUUID();
    await insertPendingRows(database.db, { count: 3, entities: 3, exchange: 'x', prefix: 'repair' });
    await sql`delete from outbox_head`.execute(database.db);
    await sql`insert into outbox_head values (${entity}::uuid, 999999, now())`.execute(database.db);
    const batch = await new KyselyRelayStore(database.db).claim(10);
    expect(batch.messages).to.have.length(3);
    await batch.release();
    await expectHeadsMatchOutbox();
  });
});

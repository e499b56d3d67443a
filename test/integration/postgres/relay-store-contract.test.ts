import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { sql } from 'kysely';
import { KyselyRelayStore } from '../../../src/adapters/postgres/kysely-relay-store';
import { insertPendingRows, pendingBacklog, truncateOutbox } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { describeRelayStoreContract } from '../../support/relay-store-contract';

describe('adapters/postgres: the relay store contract against PostgreSQL', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_relay_contract');
  });

  after(async () => {
    await database.drop();
  });

  describeRelayStoreContract('KyselyRelayStore', async () => {
    await truncateOutbox(database.db);
    return {
      store: new KyselyRelayStore(database.db),
      otherRelay: new KyselyRelayStore(database.db),
      // The message and its outbox_pending row, in one statement, as intake writes them.
      add: async (entity: string) => {
        const row = await database.db
          .with('appended', (db) =>
            db
              .insertInto('outbox')
              .values({
                message_id: randomUUID(),
                request_id: `contract-${randomUUID()}`,
                message_type: 'Ordningsnotifikation',
                ekstern_identifier: entity,
                jobcenter_kode: '10101',
                registrerings_dato: new Date(),
                aendringstype: 'Opdatering',
                client_id: 'contract-client',
                received_at: new Date(),
                exchange: 'virksomhedsordning.webservicebesked',
                routing_key: 'ordningsnotifikation.10101',
                payload: JSON.stringify({ ordningsnotifikation: { contract: true } }),
              })
              .returning(['seq', 'ekstern_identifier', 'received_at']),
          )
          .insertInto('outbox_pending')
          .columns(['seq', 'ekstern_identifier', 'received_at'])
          .expression((eb) => eb.selectFrom('appended').select(['seq', 'ekstern_identifier', 'received_at']))
          .returning('seq')
          .executeTakeFirstOrThrow();
        return row.seq;
      },
      park: async (seq: string) => {
        const result = await database.db
          .updateTable('outbox_pending')
          .set({ parked: true })
          .where('seq', '=', seq)
          .executeTakeFirst();
        if (result.numUpdatedRows !== 1n) throw new Error(`no undelivered row ${seq}`);
      },
      // Status, attempts and last error as auditors see them; next_attempt_at only while undelivered.
      state: async (seq: string) => {
        const row = await database.db
          .selectFrom('outbox_audit')
          .leftJoin('outbox_pending', 'outbox_pending.seq', 'outbox_audit.seq')
          .select([
            'outbox_audit.status',
            'outbox_audit.attempts',
            'outbox_audit.last_error',
            'outbox_pending.next_attempt_at',
          ])
          .where('outbox_audit.seq', '=', seq)
          .executeTakeFirstOrThrow();
        return {
          status: row.status,
          attempts: row.attempts,
          lastError: row.last_error ?? undefined,
          nextAttemptAt: row.next_attempt_at,
        };
      },
      pending: async () => (await pendingBacklog(database.db)).pending,
    };
  });

  it('vacuums outbox_pending itself after 10 000 deliveries, so claims stop stepping over their dead entries', async () => {
    await truncateOutbox(database.db);
    const vacuums = async () => {
      const { rows } = await sql<{ n: string }>`
        select vacuum_count + autovacuum_count as n from pg_stat_user_tables where relname = 'outbox_pending'`.execute(
        database.db,
      );
      return Number(rows[0]?.n ?? 0);
    };
    await sql`alter table outbox_pending set (autovacuum_enabled = off)`.execute(database.db);
    try {
      const before = await vacuums();
      await insertPendingRows(database.db, { count: 10_000, entities: 10_000, exchange: 'x' });
      const store = new KyselyRelayStore(database.db);
      let delivered = 0;
      for (;;) {
        const batch = await store.claim(500);
        if (batch.messages.length === 0) break;
        await batch.settle(
          batch.messages.map((m) => m.seq),
          [],
        );
        delivered += batch.messages.length;
        // Short of the threshold, no vacuum yet.
        if (delivered < 10_000)
          expect(await vacuums(), `vacuums after ${delivered} deliveries`).to.equal(before);
      }
      expect(delivered).to.equal(10_000);
      const deadline = Date.now() + 10_000;
      while ((await vacuums()) === before && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(await vacuums(), 'vacuums after 10 000 deliveries').to.equal(before + 1);
      const { rows } = await sql<{ dead: string }>`
        select n_dead_tup as dead from pg_stat_user_tables where relname = 'outbox_pending'`.execute(
        database.db,
      );
      expect(Number(rows[0]?.dead), 'dead tuples left').to.be.lessThan(500);
    } finally {
      await sql`alter table outbox_pending reset (autovacuum_enabled)`.execute(database.db);
    }
  });
});

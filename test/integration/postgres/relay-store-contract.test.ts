import { randomUUID } from 'node:crypto';
import { KyselyRelayStore } from '../../../src/adapters/postgres/kysely-relay-store';
import { truncateOutbox } from '../../support/outbox-rows';
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
    };
  });
});

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { KyselyRelayStore } from '../../../src/adapters/postgres/kysely-relay-store';
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
    await sql`truncate outbox`.execute(database.db);
    return {
      store: new KyselyRelayStore(database.db),
      otherRelay: new KyselyRelayStore(database.db),
      add: async (entity: string) => {
        const row = await database.db
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
          .returning('seq')
          .executeTakeFirstOrThrow();
        return row.seq;
      },
      park: async (seq: string) => {
        await database.db.updateTable('outbox').set({ status: 'parked' }).where('seq', '=', seq).execute();
      },
      state: async (seq: string) => {
        const row = await database.db
          .selectFrom('outbox')
          .select(['status', 'attempts', 'last_error', 'next_attempt_at'])
          .where('seq', '=', seq)
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

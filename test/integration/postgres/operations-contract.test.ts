import { sql } from 'kysely';
import { KyselyOperatorUnitOfWork } from '../../../src/adapters/postgres/kysely-operator-unit-of-work';
import { KyselyOutboxReadModel } from '../../../src/adapters/postgres/kysely-outbox-read-model';
import { KyselyPayloadRedactionStore } from '../../../src/adapters/postgres/kysely-payload-redaction-store';
import { KyselyUnitOfWork } from '../../support/kysely-unit-of-work';
import type { OperatorAction } from '../../../src/application/operations/ports';
import { describeOperationsContract } from '../../support/operations-contract';
import { deliver, truncateOutbox, updatePending } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

describe('adapters/postgres: the operations contract against PostgreSQL', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_ops_contract');
  });

  after(async () => {
    await database.drop();
  });

  describeOperationsContract('Kysely operations adapters', async () => {
    const db = database.db;
    await truncateOutbox(db);
    const intake = new KyselyUnitOfWork(db);
    return {
      readModel: new KyselyOutboxReadModel(db),
      unitOfWork: new KyselyOperatorUnitOfWork(db),
      redaction: new KyselyPayloadRedactionStore(db),
      append: async (message) => {
        const outcome = await intake.run(({ outbox }) => outbox.append(message));
        if (outcome !== 'appended') throw new Error(`not appended: ${outcome}`);
      },
      deliver: (messageId, deliveredAt) => deliver(db, messageId, deliveredAt),
      fail: (messageId, lastError) =>
        updatePending(db, messageId, { attempts: sql<number>`attempts + 1`, last_error: lastError }),
      parkDirectly: (messageId, lastError) =>
        updatePending(db, messageId, { parked: true, last_error: lastError }),
      actions: async () => {
        const rows = await db.selectFrom('operator_action').selectAll().orderBy('id').execute();
        return rows.map((r) => ({
          action: r.action as OperatorAction['action'],
          messageId: r.message_id,
          requestId: r.request_id,
          actor: r.actor,
          reason: r.reason,
          dryRun: r.dry_run,
          details: r.details as OperatorAction['details'],
          at: r.at,
        }));
      },
    };
  });
});

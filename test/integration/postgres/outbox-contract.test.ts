import type { OutboxMessage, UnitOfWork } from '../../../src/application/intake/ports';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { KyselyUnitOfWork } from '../../support/kysely-unit-of-work';
import type { Aendringstype, MessageKind } from '../../../src/domain/notification';
import type { RequestId } from '../../../src/domain/request-id';
import { describeOutboxContract, type OutboxSubject } from '../../support/outbox-contract';
import { expectEveryRowQueuedOnce, truncateOutbox } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

describe('adapters/postgres: the outbox contract against PostgreSQL', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('wsb_contract');
  });

  after(async () => {
    await database.drop();
  });

  async function stored(): Promise<OutboxMessage[]> {
    await expectEveryRowQueuedOnce(database.db);
    const rows = await database.db.selectFrom('outbox').selectAll().orderBy('seq').execute();
    return rows.map((row) => ({
      messageId: row.message_id,
      requestId: row.request_id as RequestId,
      kind: row.message_type as MessageKind,
      eksternIdentifier: row.ekstern_identifier,
      jobCenterKode: row.jobcenter_kode,
      registreringsDato: row.registrerings_dato,
      aendringstype: row.aendringstype as Aendringstype,
      clientId: row.client_id,
      clientCertSubject: row.client_cert_subject ?? undefined,
      receivedAt: row.received_at,
      exchange: row.exchange,
      routingKey: row.routing_key,
      payload: row.payload ?? {},
    }));
  }

  const subject = (unitOfWork: () => UnitOfWork) => async (): Promise<OutboxSubject> => {
    await truncateOutbox(database.db);
    return { unitOfWork: unitOfWork(), stored };
  };

  describeOutboxContract(
    'KyselyUnitOfWork',
    subject(() => new KyselyUnitOfWork(database.db)),
  );
  describeOutboxContract(
    'GroupCommitUnitOfWork (batches of up to 100, 4 at once)',
    subject(() => new GroupCommitUnitOfWork(database.db, { maxBatchSize: 100, maxConcurrentBatches: 4 })),
  );
  describeOutboxContract(
    'GroupCommitUnitOfWork (batches of up to 100, one at a time)',
    subject(() => new GroupCommitUnitOfWork(database.db, { maxBatchSize: 100, maxConcurrentBatches: 1 })),
  );
  describeOutboxContract(
    'GroupCommitUnitOfWork (batches of 1)',
    subject(() => new GroupCommitUnitOfWork(database.db, { maxBatchSize: 1, maxConcurrentBatches: 4 })),
  );
});

import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { KyselyOperatorUnitOfWork } from '../../src/adapters/postgres/kysely-operator-unit-of-work';
import { KyselyOutboxExplorer } from '../../src/adapters/postgres/kysely-outbox-explorer';
import { KyselyOutboxReadModel } from '../../src/adapters/postgres/kysely-outbox-read-model';
import { KyselyPayloadRedactionStore } from '../../src/adapters/postgres/kysely-payload-redaction-store';
import { KyselyUnitOfWork } from '../../src/adapters/postgres/kysely-unit-of-work';
import type { Database } from '../../src/adapters/postgres/database';
import type { OperatorAction } from '../../src/application/operations/ports';
import type { OperationsSubject } from './operations-contract';
import type { ExplorerSubject } from './outbox-explorer-contract';
import { deliver, truncateOutbox, updatePending } from './outbox-rows';
import type { TestDatabase } from './postgres';

/** The Kysely operations adapters over `db`, emptied first: the contract suites' PostgreSQL subject. */
export async function postgresOperationsSubject(db: Kysely<Database>): Promise<OperationsSubject> {
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
}

/** The same, with KyselyOutboxExplorer and a way to connect a session under a given name. */
export async function postgresExplorerSubject(database: TestDatabase): Promise<ExplorerSubject> {
  const db = database.db;
  return {
    ...(await postgresOperationsSubject(db)),
    explorer: new KyselyOutboxExplorer(db),
    backOff: (messageId, lastError, until) =>
      updatePending(db, messageId, {
        attempts: sql<number>`attempts + 1`,
        last_error: lastError,
        next_attempt_at: until,
      }),
    connect: async (applicationName) => {
      const client = new pg.Client({ connectionString: database.url, application_name: applicationName });
      await client.connect();
      return () => client.end();
    },
  };
}

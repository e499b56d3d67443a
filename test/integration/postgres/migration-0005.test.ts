import { expect } from 'chai';
import { type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from '../../../migrations';
import type { Database } from '../../../src/adapters/postgres/database';
import { KyselyOutboxReadModel } from '../../../src/adapters/postgres/kysely-outbox-read-model';
import { KyselyRelayStore } from '../../../src/adapters/postgres/kysely-relay-store';
import { FICTITIOUS_CPR, FICTITIOUS_CPR_2, ordningsnotifikation } from '../../support/fixtures';
import { auditRows, migrateTo } from '../../support/migrations';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../support/postgres';

const ENTITY_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ENTITY_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
/** The W3C specification's example trace context: no one's. */
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** An outbox row as 0001–0004 kept it, delivery state on the row. All data fictitious. */
interface OldShapeRow {
  readonly requestId: string;
  readonly entity: string;
  readonly receivedAt: Date;
  readonly payload: Record<string, unknown> | null;
  readonly status: 'pending' | 'parked' | 'delivered';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly redactedAt: Date | null;
  readonly traceparent: string | null;
}

const at = (iso: string) => new Date(iso);
const payloadFor = (entity: string, cpr: string) =>
  ordningsnotifikation({ eksternIdentifier: entity }, { cprNummer: cpr });

const DELIVERED: OldShapeRow = {
  requestId: 'mig-0005-delivered',
  entity: ENTITY_A,
  receivedAt: at('2025-03-01T12:00:00.123Z'),
  payload: payloadFor(ENTITY_A, FICTITIOUS_CPR),
  status: 'delivered',
  attempts: 1,
  lastError: 'nack: the broker nacked the message',
  nextAttemptAt: at('2025-03-01T12:00:01.000Z'),
  deliveredAt: at('2025-03-01T12:00:01.456Z'),
  redactedAt: null,
  traceparent: TRACEPARENT,
};
const REDACTED: OldShapeRow = {
  requestId: 'mig-0005-redacted',
  entity: ENTITY_B,
  receivedAt: at('2025-01-10T08:00:00.000Z'),
  payload: null,
  status: 'delivered',
  attempts: 0,
  lastError: null,
  nextAttemptAt: at('2025-01-10T08:00:00.000Z'),
  deliveredAt: at('2025-01-10T08:00:00.789Z'),
  redactedAt: at('2025-02-10T03:00:00.000Z'),
  traceparent: null,
};
const PENDING: OldShapeRow = {
  requestId: 'mig-0005-pending',
  entity: ENTITY_A,
  receivedAt: at('2025-03-01T12:00:02.000Z'),
  payload: payloadFor(ENTITY_A, FICTITIOUS_CPR_2),
  status: 'pending',
  attempts: 2,
  lastError: 'timeout: no confirm within 5000 ms',
  nextAttemptAt: at('2025-03-01T12:05:00.250Z'),
  deliveredAt: null,
  redactedAt: null,
  traceparent: null,
};
const PARKED: OldShapeRow = {
  requestId: 'mig-0005-parked',
  entity: ENTITY_B,
  receivedAt: at('2025-03-01T12:00:03.000Z'),
  payload: payloadFor(ENTITY_B, FICTITIOUS_CPR),
  status: 'parked',
  attempts: 10,
  lastError: 'unroutable: no queue is bound',
  nextAttemptAt: at('2025-03-01T13:00:00.000Z'),
  deliveredAt: null,
  redactedAt: null,
  traceparent: null,
};
/** In seq order. */
const ROWS = [DELIVERED, REDACTED, PENDING, PARKED];

/** What migration 0005 replaces and its down migration must bring back. */
const OLD_COLUMNS = ['status', 'attempts', 'last_error', 'next_attempt_at', 'delivered_at'];
const OLD_INDEXES = ['outbox_pending_due', 'outbox_redaction_due', 'outbox_undelivered_by_entity'];

describe('migration 0005-delivery-record: delivery state moves out of the outbox row, and back', () => {
  let database: TestDatabase;
  let migrator: Migrator;
  const seqs = new Map<OldShapeRow, string>();
  const seqOf = (row: OldShapeRow) => seqs.get(row)!;
  /** outbox_audit, every column in order, as 0004 showed it. */
  let auditBefore: Array<Record<string, unknown>>;
  let schemaBefore: Schema;

  before(async () => {
    database = await createTestDatabase('wsb_migration_0005', TEST_POSTGRES_URL, { migrate: false });
    migrator = new Migrator({ db: database.db as unknown as Kysely<unknown>, provider: migrationProvider });
    expect(await migrateTo(migrator, '0004-trace-context')).to.deep.equal([
      '0001-outbox',
      '0003-operations',
      '0004-trace-context',
    ]);
    for (const row of ROWS) {
      const { rows } = await sql<{ seq: string }>`
        insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                            registrerings_dato, aendringstype, client_id, client_cert_subject, received_at,
                            exchange, routing_key, payload, status, attempts, last_error, next_attempt_at,
                            delivered_at, redacted_at, traceparent)
        values (gen_random_uuid(), ${row.requestId}, 'Ordningsnotifikation', ${row.entity}::uuid, '10101',
                '2025-03-01T09:15:30Z', 'Opdatering', 'vitas-test-client', 'CN=vitas-test', ${row.receivedAt},
                'virksomhedsordning.webservicebesked', 'ordningsnotifikation.10101',
                ${row.payload === null ? null : JSON.stringify(row.payload)}::jsonb, ${row.status},
                ${row.attempts}, ${row.lastError}, ${row.nextAttemptAt}, ${row.deliveredAt}, ${row.redactedAt},
                ${row.traceparent})
        returning seq`.execute(database.db);
      seqs.set(row, rows[0]!.seq);
    }
    auditBefore = await auditRows(database.db);
    schemaBefore = await schema(database.db);
    // Guard against a fixture that does not say what it means to.
    expect(auditBefore.map((r) => [r.request_id, r.status])).to.deep.equal(
      ROWS.map((r) => [r.requestId, r.status]),
    );
    expect(schemaBefore.indexes.map((i) => i.name)).to.include.members(OLD_INDEXES);
  });

  after(async () => {
    await database?.drop();
  });

  it('up: outbox_audit shows every row exactly as before, delivery state from outbox_pending and outbox_delivery', async () => {
    expect(await migrateTo(migrator, '0005-delivery-record')).to.deep.equal(['0005-delivery-record']);

    const after = await auditRows(database.db);
    expect(after).to.deep.equal(auditBefore);
    expect(after.map((r) => Object.keys(r))).to.deep.equal(auditBefore.map((r) => Object.keys(r)));
    expect(
      after.map((r) => ({
        request_id: r.request_id,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        delivered_at: r.delivered_at,
        payload: r.payload,
        redacted_at: r.redacted_at,
        traceparent: r.traceparent,
      })),
    ).to.deep.equal(
      ROWS.map((r) => ({
        request_id: r.requestId,
        status: r.status,
        attempts: r.attempts,
        last_error: r.lastError,
        delivered_at: r.deliveredAt,
        payload: r.payload,
        redacted_at: r.redactedAt,
        traceparent: r.traceparent,
      })),
    );

    const pending = await sql<Record<string, unknown>>`
      select seq, ekstern_identifier, received_at, parked, attempts, last_error, next_attempt_at
        from outbox_pending order by seq`.execute(database.db);
    expect(pending.rows).to.deep.equal(
      [PENDING, PARKED].map((r) => ({
        seq: seqOf(r),
        ekstern_identifier: r.entity,
        received_at: r.receivedAt,
        parked: r.status === 'parked',
        attempts: r.attempts,
        last_error: r.lastError,
        next_attempt_at: r.nextAttemptAt,
      })),
    );
    const delivery = await sql<Record<string, unknown>>`
      select seq, delivered_at, attempts, last_error, payload_held from outbox_delivery order by seq`.execute(
      database.db,
    );
    expect(delivery.rows).to.deep.equal([
      {
        seq: seqOf(DELIVERED),
        delivered_at: DELIVERED.deliveredAt,
        attempts: 1,
        last_error: DELIVERED.lastError,
        payload_held: true,
      },
      {
        seq: seqOf(REDACTED),
        delivered_at: REDACTED.deliveredAt,
        attempts: 0,
        last_error: null,
        payload_held: false,
      },
    ]);

    const now = await schema(database.db);
    expect(now.outboxColumns.map((c) => c.name).filter((name) => OLD_COLUMNS.includes(name))).to.deep.equal(
      [],
    );
    const indexes = new Map(now.indexes.map((i) => [i.name, i.table]));
    expect(indexes.get('outbox_pending_by_entity')).to.equal('outbox_pending');
    expect(indexes.get('outbox_pending_due')).to.equal('outbox_pending');
    expect(indexes.get('outbox_delivery_redaction_due')).to.equal('outbox_delivery');
    expect(indexes.has('outbox_undelivered_by_entity')).to.equal(false);
    expect(indexes.has('outbox_redaction_due')).to.equal(false);
    expect(now.auditorPrivileges).to.deep.equal({
      outbox_audit: true,
      outbox: false,
      outbox_pending: false,
      outbox_delivery: false,
    });
  });

  it('up: the relay and the operators work on the migrated rows', async () => {
    const statistics = await new KyselyOutboxReadModel(database.db).statistics('exact');
    expect(statistics.countByStatus).to.deep.equal({ pending: 1, parked: 1, delivered: 2 });
    expect(statistics.blockedEntities).to.equal(2);
    // The pending row is due (its next attempt is long past) and its entity's delivered row does not
    // block it; the parked row blocks only its own entity.
    const batch = await new KyselyRelayStore(database.db).claim(10);
    try {
      expect(
        batch.messages.map((m) => [m.seq, m.attempts, JSON.parse(Buffer.from(m.body).toString('utf8'))]),
      ).to.deep.equal([[seqOf(PENDING), PENDING.attempts, PENDING.payload]]);
    } finally {
      await batch.release();
    }
  });

  it('down to 0004: the old columns are back with the same values, and the old indexes and view', async () => {
    expect(await migrateTo(migrator, '0004-trace-context')).to.deep.equal(['0005-delivery-record']);

    const { rows } = await sql<Record<string, unknown>>`
      select seq, status, attempts, last_error, next_attempt_at, delivered_at, payload, redacted_at, traceparent
        from outbox order by seq`.execute(database.db);
    expect(
      rows.map(({ next_attempt_at: nextAttemptAt, ...row }) =>
        row.status === 'delivered' ? row : { ...row, next_attempt_at: nextAttemptAt },
      ),
    ).to.deep.equal(
      ROWS.map((r) => ({
        seq: seqOf(r),
        status: r.status,
        attempts: r.attempts,
        last_error: r.lastError,
        // A delivered row's next attempt means nothing; 0005 keeps none for it.
        ...(r.status === 'delivered' ? {} : { next_attempt_at: r.nextAttemptAt }),
        delivered_at: r.deliveredAt,
        payload: r.payload,
        redacted_at: r.redactedAt,
        traceparent: r.traceparent,
      })),
    );
    expect(await auditRows(database.db)).to.deep.equal(auditBefore);

    const now = await schema(database.db);
    expect(sortedByName(now.outboxColumns)).to.deep.equal(sortedByName(schemaBefore.outboxColumns));
    expect(now.outboxConstraints).to.deep.equal(schemaBefore.outboxConstraints);
    expect(now.indexes).to.deep.equal(schemaBefore.indexes);
    expect(now.auditorPrivileges).to.deep.equal(schemaBefore.auditorPrivileges);
    expect(now.auditorPrivileges).to.include({ outbox_audit: true, outbox: false });
    const { rows: tables } = await sql<{ pending: string | null; delivery: string | null }>`
      select to_regclass('outbox_pending')::text as pending, to_regclass('outbox_delivery')::text as delivery`.execute(
      database.db,
    );
    expect(tables[0]).to.deep.equal({ pending: null, delivery: null });
  });
});

interface Schema {
  readonly outboxColumns: Array<{ name: string; type: string; nullable: string; default: string | null }>;
  readonly outboxConstraints: Array<{ name: string; definition: string }>;
  readonly indexes: Array<{ name: string; table: string; definition: string }>;
  readonly auditorPrivileges: Record<string, boolean>;
}

/** What the migrations define that this test compares: outbox's columns, its constraints, indexes, grants. */
async function schema(db: Kysely<Database>): Promise<Schema> {
  const columns = await sql<Schema['outboxColumns'][number]>`
    select column_name as name, data_type as type, is_nullable as nullable, column_default as default
      from information_schema.columns
     where table_schema = 'public' and table_name = 'outbox'
     order by ordinal_position`.execute(db);
  const constraints = await sql<Schema['outboxConstraints'][number]>`
    select conname as name, pg_get_constraintdef(oid) as definition
      from pg_constraint where conrelid = 'outbox'::regclass order by conname`.execute(db);
  const indexes = await sql<Schema['indexes'][number]>`
    select indexname as name, tablename as table, indexdef as definition
      from pg_indexes where schemaname = 'public' order by indexname`.execute(db);
  const privileges = await sql<{ relation: string; granted: boolean }>`
    select relation, has_table_privilege('wsb_auditor', relation, 'select') as granted
      from unnest(array['outbox_audit', 'outbox', 'outbox_pending', 'outbox_delivery']) as relation
     where to_regclass(relation) is not null`.execute(db);
  return {
    outboxColumns: columns.rows,
    outboxConstraints: constraints.rows,
    indexes: indexes.rows,
    auditorPrivileges: Object.fromEntries(privileges.rows.map((r) => [r.relation, r.granted])),
  };
}

function sortedByName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name));
}

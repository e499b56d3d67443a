import { expect } from 'chai';
import { type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from '../../../migrations';
import type { Database } from '../../../src/adapters/postgres/database';
import { auditRows, migrateTo } from '../../support/migrations';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../support/postgres';

const ENTITY_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ENTITY_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

/** A row as 0006 keeps it; all data fictitious. */
interface Row {
  readonly name: string;
  readonly kind: 'Ordningsnotifikation' | 'GdprSlettetNotifikation';
  readonly entity: string;
  readonly deliveredAt: string | null;
  readonly redactedAt: string | null;
}

// In seq order. A GDPR notice erases only earlier rows, and only once delivered.
const RETENTION: Row = {
  name: 'redacted before any later notice was delivered',
  kind: 'Ordningsnotifikation',
  entity: ENTITY_A,
  deliveredAt: '2025-01-01T10:00:00Z',
  redactedAt: '2025-02-01T03:00:00Z',
};
const AMBIGUOUS: Row = {
  name: 'redacted after a later notice was delivered',
  kind: 'Ordningsnotifikation',
  entity: ENTITY_B,
  deliveredAt: '2025-01-05T10:00:00Z',
  redactedAt: '2025-03-02T03:00:00Z',
};
const HELD: Row = {
  name: 'delivered, payload held',
  kind: 'Ordningsnotifikation',
  entity: ENTITY_A,
  deliveredAt: '2025-02-20T10:00:00Z',
  redactedAt: null,
};
const NOTICE: Row = {
  name: 'a delivered GDPR notice, erasure done',
  kind: 'GdprSlettetNotifikation',
  entity: ENTITY_A,
  deliveredAt: '2025-03-01T10:00:00Z',
  redactedAt: '2025-03-02T03:00:01Z',
};
const LATE: Row = {
  name: 'redacted, no later notice delivered',
  kind: 'Ordningsnotifikation',
  entity: ENTITY_B,
  deliveredAt: '2025-03-03T10:00:00Z',
  redactedAt: '2025-04-03T03:00:00Z',
};
const UNDELIVERED_NOTICE: Row = {
  name: 'an undelivered GDPR notice (erased nothing)',
  kind: 'GdprSlettetNotifikation',
  entity: ENTITY_B,
  deliveredAt: null,
  redactedAt: null,
};
const ROWS = [RETENTION, AMBIGUOUS, HELD, NOTICE, LATE, UNDELIVERED_NOTICE];

const NEW_AUDIT_COLUMNS = ['redaction_reason', 'redacted_by'];

describe('migration 0007-redaction-record: why a payload was redacted, and every message an action touched', () => {
  let database: TestDatabase;
  let migrator: Migrator;
  const ids = new Map<Row, string>();
  const idOf = (row: Row) => ids.get(row)!;
  let auditBefore: Array<Record<string, unknown>>;
  let schemaBefore: Schema;
  let singleAction: string;
  let bulkAction: string;

  before(async () => {
    database = await createTestDatabase('wsb_migration_0007', TEST_POSTGRES_URL, { migrate: false });
    migrator = new Migrator({ db: database.db as unknown as Kysely<unknown>, provider: migrationProvider });
    await migrateTo(migrator, '0006-action-log-reads');
    for (const row of ROWS) {
      const payload = row.redactedAt === null ? JSON.stringify({ fictitious: row.name }) : null;
      const { rows } = await sql<{ seq: string; message_id: string }>`
        insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                            registrerings_dato, aendringstype, client_id, received_at, exchange, routing_key,
                            payload, redacted_at)
        values (gen_random_uuid(), ${`mig-0007-${ROWS.indexOf(row)}`}, ${row.kind}, ${row.entity}::uuid, '10101',
                '2025-01-01T09:00:00Z', 'Opdatering', 'vitas-test-client', '2025-01-01T09:00:00Z',
                'virksomhedsordning.webservicebesked', 'ordningsnotifikation.10101', ${payload}::jsonb,
                ${row.redactedAt}::timestamptz)
        returning seq, message_id`.execute(database.db);
      const { seq, message_id: messageId } = rows[0]!;
      ids.set(row, messageId);
      if (row.deliveredAt === null) {
        await sql`insert into outbox_pending (seq, ekstern_identifier, received_at)
                  values (${seq}, ${row.entity}::uuid, '2025-01-01T09:00:00Z')`.execute(database.db);
      } else {
        await sql`insert into outbox_delivery (seq, delivered_at, attempts, payload_held)
                  values (${seq}, ${row.deliveredAt}::timestamptz, 1, ${row.redactedAt === null})`.execute(
          database.db,
        );
      }
    }
    const action = async (messageId: string | null, details: unknown) => {
      const { rows } = await sql<{ id: string }>`
        insert into operator_action (action, message_id, actor, reason, details)
        values ('replay', ${messageId}::uuid, 'ops-alice', 'ticket 42', ${JSON.stringify(details)}::jsonb)
        returning id`.execute(database.db);
      return rows[0]!.id;
    };
    singleAction = await action(idOf(UNDELIVERED_NOTICE), { previousStatus: 'pending' });
    bulkAction = await action(null, {
      scope: 'all-parked',
      count: 3,
      messageIds: [idOf(UNDELIVERED_NOTICE), idOf(HELD), 'not-a-uuid'],
    });
    auditBefore = await auditRows(database.db);
    schemaBefore = await schema(database.db);
  });

  after(async () => {
    await database?.drop();
  });

  it('up: outbox_audit gains the reason and the erasing notice as its last columns, filled in where the history tells', async () => {
    await migrateTo(migrator, '0007-redaction-record');
    const after = await auditRows(database.db);
    expect(after.map((r) => Object.keys(r))).to.deep.equal(
      auditBefore.map((r) => [...Object.keys(r), ...NEW_AUDIT_COLUMNS]),
    );
    expect(after.map(({ redaction_reason: _reason, redacted_by: _by, ...rest }) => rest)).to.deep.equal(
      auditBefore,
    );
    expect(after.map((r) => [r.message_id, r.redaction_reason, r.redacted_by])).to.deep.equal([
      [idOf(RETENTION), 'retention', null],
      [idOf(AMBIGUOUS), null, null],
      [idOf(HELD), null, null],
      [idOf(NOTICE), 'gdpr', idOf(NOTICE)],
      [idOf(LATE), 'retention', null],
      [idOf(UNDELIVERED_NOTICE), null, null],
    ]);
  });

  it('up: each action is linked to every message it touched, from message_id and the bulk replay details', async () => {
    const { rows } = await sql<{ action_id: string; message_id: string }>`
      select action_id, message_id from operator_action_target order by action_id, message_id`.execute(
      database.db,
    );
    expect(rows).to.deep.equal([
      { action_id: singleAction, message_id: idOf(UNDELIVERED_NOTICE) },
      ...[idOf(UNDELIVERED_NOTICE), idOf(HELD)]
        .sort()
        .map((id) => ({ action_id: bulkAction, message_id: id })),
    ]);
  });

  it('up: the auditor role reads the view, new columns included, and nothing else', async () => {
    const now = await schema(database.db);
    expect(now.auditorPrivileges).to.deep.equal({
      outbox_audit: true,
      outbox: false,
      outbox_pending: false,
      outbox_delivery: false,
      operator_action: false,
      operator_action_target: false,
    });
    await database.db.transaction().execute(async (trx) => {
      await sql`set local role wsb_auditor`.execute(trx);
      const { rows } = await sql<{ n: string }>`
        select count(*) as n from outbox_audit where redaction_reason = 'gdpr' and redacted_by is not null`.execute(
        trx,
      );
      expect(rows[0]!.n).to.equal('1');
    });
    for (const table of ['outbox_delivery', 'operator_action_target']) {
      const refused = await database.db
        .transaction()
        .execute(async (trx) => {
          await sql`set local role wsb_auditor`.execute(trx);
          await sql`select * from ${sql.table(table)}`.execute(trx);
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused, table).to.have.property('code', '42501');
    }
  });

  it('down to 0006: the view, the tables and the indexes are as before', async () => {
    await migrateTo(migrator, '0006-action-log-reads');
    expect(await auditRows(database.db)).to.deep.equal(auditBefore);
    expect(await schema(database.db)).to.deep.equal(schemaBefore);
  });
});

interface Schema {
  readonly deliveryColumns: Array<{ name: string; type: string }>;
  readonly constraints: Array<{ name: string; definition: string }>;
  readonly indexes: Array<{ name: string; table: string; definition: string }>;
  readonly auditorPrivileges: Record<string, boolean>;
}

async function schema(db: Kysely<Database>): Promise<Schema> {
  const columns = await sql<Schema['deliveryColumns'][number]>`
    select column_name as name, data_type as type from information_schema.columns
     where table_schema = 'public' and table_name = 'outbox_delivery' order by ordinal_position`.execute(db);
  const constraints = await sql<Schema['constraints'][number]>`
    select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
     where conrelid in ('outbox_delivery'::regclass, 'operator_action'::regclass) order by conname`.execute(
    db,
  );
  const indexes = await sql<Schema['indexes'][number]>`
    select indexname as name, tablename as table, indexdef as definition
      from pg_indexes where schemaname = 'public' order by indexname`.execute(db);
  const privileges = await sql<{ relation: string; granted: boolean }>`
    select relation, has_table_privilege('wsb_auditor', relation, 'select') as granted
      from unnest(array['outbox_audit', 'outbox', 'outbox_pending', 'outbox_delivery', 'operator_action',
                        'operator_action_target']) as relation
     where to_regclass(relation) is not null`.execute(db);
  return {
    deliveryColumns: columns.rows,
    constraints: constraints.rows,
    indexes: indexes.rows,
    auditorPrivileges: Object.fromEntries(privileges.rows.map((r) => [r.relation, r.granted])),
  };
}

import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { accept, deliver } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** What wsb_auditor may and may not do; its ready queries are tested in audit-queries.test.ts. */
describe('the auditor role wsb_auditor', () => {
  let database: TestDatabase;
  let client: pg.Client;

  before(async () => {
    database = await createTestDatabase();
    const delivered = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    await deliver(database.db, delivered);
    await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation({}, { cprNummer: '0303030000' }));
    await accept(database.db, 'GdprSlettetNotifikation', gdprSlettetNotifikation());
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  after(async () => {
    await client.end();
    await database.drop();
  });

  /** Runs `sql` as wsb_auditor; returns the rows or the SQLSTATE of the failure. */
  async function asAuditor(sql: string): Promise<{ rows?: Array<Record<string, unknown>>; code?: string }> {
    await client.query('begin');
    try {
      await client.query('set local role wsb_auditor');
      const result = await client.query(sql);
      return { rows: result.rows as Array<Record<string, unknown>> };
    } catch (error) {
      return { code: (error as { code?: string }).code ?? 'unknown' };
    } finally {
      await client.query('rollback');
    }
  }

  const INSUFFICIENT_PRIVILEGE = '42501';
  /** object_not_in_prerequisite_state: "cannot update view", for a view PostgreSQL cannot write through. */
  const VIEW_NOT_UPDATABLE = '55000';

  it('can read the view outbox_audit, payload included', async () => {
    const { rows, code } = await asAuditor(
      'select message_id, status, payload from outbox_audit order by seq',
    );
    expect(code).to.equal(undefined);
    expect(rows).to.have.length(3);
    expect(rows?.map((r) => r.status)).to.deep.equal(['delivered', 'pending', 'pending']);
  });

  it('cannot read the outbox tables or the operator log', async () => {
    expect(await asAuditor('select * from outbox')).to.deep.equal({ code: INSUFFICIENT_PRIVILEGE });
    expect(await asAuditor('select * from outbox_pending')).to.deep.equal({ code: INSUFFICIENT_PRIVILEGE });
    expect(await asAuditor('select * from outbox_delivery')).to.deep.equal({ code: INSUFFICIENT_PRIVILEGE });
    expect(await asAuditor('select * from operator_action')).to.deep.equal({ code: INSUFFICIENT_PRIVILEGE });
    expect(await asAuditor('select * from kysely_migration')).to.deep.equal({ code: INSUFFICIENT_PRIVILEGE });
  });

  it('cannot insert, update or delete anything, through the view or otherwise, nor create objects', async () => {
    // Since migration 0005 outbox_audit is a UNION ALL, which PostgreSQL cannot write through for
    // anyone: it refuses such a write (55000) before it checks privileges. That the auditor holds no
    // write privilege on the view is asserted on its own below.
    const throughTheView = [
      `update outbox_audit set status = 'parked'`,
      `delete from outbox_audit`,
      `insert into outbox_audit (message_id) values (gen_random_uuid())`,
    ];
    for (const sql of throughTheView) {
      expect(await asAuditor(sql), sql)
        .to.have.property('code')
        .that.is.oneOf([INSUFFICIENT_PRIVILEGE, VIEW_NOT_UPDATABLE]);
    }
    const writes = [
      `update outbox set payload = null`,
      `delete from outbox`,
      `update outbox_pending set parked = true`,
      `delete from outbox_pending`,
      `insert into outbox_delivery (seq) values (1)`,
      `update outbox_delivery set payload_held = false`,
      `delete from outbox_delivery`,
      `insert into operator_action (action, actor, reason) values ('park', 'x', 'y')`,
      `truncate outbox`,
      `truncate outbox_pending`,
      `truncate outbox_delivery`,
      `create table auditor_scratch (x int)`,
      `create view auditor_view as select 1`,
    ];
    for (const sql of writes) {
      expect(await asAuditor(sql), sql).to.deep.equal({ code: INSUFFICIENT_PRIVILEGE });
    }
    const { rows } = await client.query<{ relation: string; privilege: string }>(`
      select relation, privilege
        from unnest(array['outbox_audit', 'outbox', 'outbox_pending', 'outbox_delivery', 'operator_action']) as relation,
             unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as privilege
       where has_table_privilege('wsb_auditor', relation, privilege)`);
    expect(rows, 'write privileges wsb_auditor holds').to.deep.equal([]);
  });

  it('is a group role: a login role it is granted to reads the view and nothing else', async () => {
    const login = `wsb_test_auditor_${randomBytes(4).toString('hex')}`;
    await client.query(`create role ${login} login`);
    try {
      await client.query(`grant wsb_auditor to ${login}`);
      const url = new URL(database.url);
      url.username = login;
      const alice = new pg.Client({ connectionString: url.toString() });
      await alice.connect();
      try {
        const { rows } = await alice.query('select count(*)::int as n from outbox_audit');
        expect(rows[0]).to.deep.equal({ n: 3 });
        for (const table of ['outbox', 'outbox_pending', 'outbox_delivery']) {
          const denied = await alice.query(`select 1 from ${table}`).catch((e: { code?: string }) => e.code);
          expect(denied, table).to.equal(INSUFFICIENT_PRIVILEGE);
        }
      } finally {
        await alice.end();
      }
    } finally {
      await client.query(`drop owned by ${login}`);
      await client.query(`drop role ${login}`);
    }
  });
});

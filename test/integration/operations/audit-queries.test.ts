import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import { RedactPayloads } from '../../../src/application/operations/redact-payloads';
import { KyselyOperatorUnitOfWork } from '../../../src/adapters/postgres/kysely-operator-unit-of-work';
import { KyselyPayloadRedactionStore } from '../../../src/adapters/postgres/kysely-payload-redaction-store';
import { systemClock } from '../../../src/adapters/system/system-clock';
import { documentedQueries, withVariables } from '../../support/audit-queries';
import {
  FICTITIOUS_CPR,
  FICTITIOUS_CPR_2,
  gdprSlettetNotifikation,
  ordningsnotifikation,
} from '../../support/fixtures';
import { accept, deliver, receivedAgo } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const ERASED_ENTITY = '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b';
const KEPT_ENTITY = '5a5a5a5a-1b1b-4c2c-8d3d-4e4e4e4e4e4e';
const OLD_ENTITY = '6b6b6b6b-2c2c-4d3d-8e4e-5f5f5f5f5f5f';
const OTHER_CPR = '0303030000';

type Row = Record<string, unknown>;

/**
 * Every ready query of docs/auditing/queries/, run as wsb_auditor against a database with known
 * rows, with the answer each must give. A query file without an expectation here fails the test.
 */
describe('the auditors’ ready queries (docs/auditing/queries/*.sql), as wsb_auditor', () => {
  let database: TestDatabase;
  let client: pg.Client;
  const ids: Record<'erased' | 'kept' | 'waiting' | 'old' | 'notice', string> = {
    erased: '',
    kept: '',
    waiting: '',
    old: '',
    notice: '',
  };

  before(async () => {
    database = await createTestDatabase('wsb_audit_queries');
    const ordning = (entity: string, cpr: string, jobcenter = '10101') =>
      accept(
        database.db,
        'Ordningsnotifikation',
        ordningsnotifikation({ eksternIdentifier: entity, jobCenterKode: jobcenter }, { cprNummer: cpr }),
      );
    // Delivered, then erased by the GDPR notice below (its entity and CPR number are named).
    ids.erased = await ordning(ERASED_ENTITY, FICTITIOUS_CPR);
    await deliver(database.db, ids.erased);
    // Delivered in another jobcenter; its payload is kept.
    ids.kept = await ordning(KEPT_ENTITY, OTHER_CPR, '20202');
    await deliver(database.db, ids.kept);
    // Undelivered for two hours, with a request id an auditor would be given.
    ids.waiting = await ordning(KEPT_ENTITY, OTHER_CPR);
    await receivedAgo(database.db, ids.waiting, '2 hours');
    await database.db
      .updateTable('outbox')
      .set({ request_id: 'audit-call-1' })
      .where('message_id', '=', ids.waiting)
      .execute();
    // Received and delivered 41 days ago: past retention.
    ids.old = await ordning(OLD_ENTITY, '0404040000');
    await receivedAgo(database.db, ids.old, '41 days');
    await deliver(database.db, ids.old, new Date(Date.now() - 40 * 86_400_000));
    ids.notice = await accept(
      database.db,
      'GdprSlettetNotifikation',
      gdprSlettetNotifikation({}, { cprNumre: [FICTITIOUS_CPR, FICTITIOUS_CPR_2] }),
    );
    await deliver(database.db, ids.notice);
    const uow = new KyselyOperatorUnitOfWork(database.db);
    await new RedactPayloads(
      new KyselyPayloadRedactionStore(database.db),
      systemClock,
      { redacted: () => undefined },
      uow,
      { retentionDays: 30, batchSize: 500 },
    ).execute({ dryRun: false });

    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  after(async () => {
    await client.end();
    await database.drop();
  });

  async function asAuditor(sql: string): Promise<Row[]> {
    await client.query('begin');
    try {
      await client.query('set local role wsb_auditor');
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.query('rollback');
    }
  }

  const messageIds = (rows: Row[]) => rows.map((r) => r.message_id);

  /** What each file must answer over the rows above. */
  const answers: Record<string, { variables?: () => Record<string, string>; check: (rows: Row[]) => void }> =
    {
      'jobcenter-period.sql': {
        variables: () => ({ jobcenter: '10101', from: '2000-01-01', to: '2100-01-01' }),
        check: (rows) =>
          expect(messageIds(rows)).to.deep.equal([ids.old, ids.waiting, ids.erased, ids.notice]),
      },
      'entity.sql': {
        variables: () => ({ ekstern_identifier: KEPT_ENTITY.toUpperCase() }),
        check: (rows) => expect(messageIds(rows)).to.deep.equal([ids.kept, ids.waiting]),
      },
      'request.sql': {
        variables: () => ({ request_id: 'audit-call-1' }),
        check: (rows) => expect(messageIds(rows)).to.deep.equal([ids.waiting]),
      },
      'undelivered-after-an-hour.sql': {
        check: (rows) => {
          expect(messageIds(rows)).to.deep.equal([ids.waiting]);
          expect(rows[0]).to.include({ status: 'pending' });
        },
      },
      'delivery-latency-per-day.sql': {
        variables: () => ({ from: '2000-01-01', to: '2100-01-01' }),
        check: (rows) => {
          expect(rows.reduce((n, r) => n + Number(r.delivered), 0)).to.equal(4);
          expect(rows.length).to.be.within(2, 3);
        },
      },
      'payloads-held.sql': {
        check: (rows) =>
          expect(rows.map((r) => [r.message_type, r.status, Number(r.messages)])).to.deep.equal([
            ['Ordningsnotifikation', 'delivered', 1],
            ['Ordningsnotifikation', 'pending', 1],
          ]),
      },
      'subject-access.sql': {
        variables: () => ({ cpr: OTHER_CPR }),
        check: (rows) => expect(messageIds(rows)).to.deep.equal([ids.waiting, ids.kept]),
      },
      'gdpr-deletions.sql': {
        variables: () => ({ from: '2000-01-01', to: '2100-01-01' }),
        check: (rows) => {
          expect(rows.map((r) => r.gdpr_message_id)).to.deep.equal([ids.notice]);
          expect(rows[0]?.gdpr_payload_redacted_at).to.be.instanceOf(Date);
          expect(Number(rows[0]?.earlier_same_entity_still_held)).to.equal(0);
        },
      },
      'gdpr-erased-by-notice.sql': {
        variables: () => ({ notice_message_id: ids.notice }),
        check: (rows) => expect(messageIds(rows)).to.deep.equal([ids.erased, ids.notice]),
      },
      'redactions-by-reason.sql': {
        variables: () => ({ from: '2000-01-01', to: '2100-01-01' }),
        check: (rows) => {
          const byReason = new Map<unknown, number>();
          for (const r of rows)
            byReason.set(r.redaction_reason, (byReason.get(r.redaction_reason) ?? 0) + Number(r.messages));
          expect(Object.fromEntries(byReason)).to.deep.equal({ gdpr: 2, retention: 1 });
        },
      },
    };

  const queries = documentedQueries();

  it('every query file has its expected answer here, and every expected answer its file', () => {
    expect(queries.map((q) => q.file)).to.have.members(Object.keys(answers));
  });

  it('docs/auditing.md links every query file', () => {
    const markdown = readFileSync('docs/auditing.md', 'utf8');
    for (const { file } of queries) expect(markdown, file).to.include(`(auditing/queries/${file})`);
  });

  for (const query of queries) {
    it(`${query.file}: ${query.title}`, async () => {
      const answer = answers[query.file];
      if (answer === undefined) throw new Error(`no expected answer for ${query.file}`);
      // Variables are read when the test runs: the ids exist only after `before`.
      answer.check(await asAuditor(withVariables(query.sql, answer.variables?.() ?? {})));
    });
  }
});

import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from '../../../migrations';
import type { OutboxMessage } from '../../../src/application/intake/ports';
import type { Database } from '../../../src/adapters/postgres/database';
import { erasureTargets } from '../../../src/adapters/postgres/sql/erasure-targets';
import { insertOutboxRows } from '../../../src/adapters/postgres/kysely-outbox-repository';
import type { RequestId } from '../../../src/domain/request-id';
import { documentedQueries, withVariables } from '../../support/audit-queries';
import { FICTITIOUS_CPR, gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { accept } from '../../support/outbox-rows';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../support/postgres';

/** Text PostgreSQL cannot compress (base64 of random bytes): the size of an index entry is its length. */
const incompressible = (length: number) => randomBytes(length).toString('base64').slice(0, length);
/** A CPR number as long as the contract allows (`string`): several index entries' worth of digits. */
const longDigits = (length: number) => Array.from(randomBytes(length), (b) => String(b % 10)).join('');

async function migrateTo(migrator: Migrator, target: string): Promise<string[]> {
  const { error, results } = await migrator.migrateTo(target);
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).map((r) => r.migrationName);
}

async function indexNames(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select indexname as name from pg_indexes where schemaname = 'public' order by indexname`.execute(db);
  return rows.map((r) => r.name);
}

async function statisticsNames(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select stxname as name from pg_statistic_ext order by 1`.execute(db);
  return rows.map((r) => r.name);
}

/** The plan of `query` when PostgreSQL may not scan a table whole: it names an index it can use. */
async function planWithoutSeqScan(
  db: Kysely<Database>,
  query: RawBuilder<unknown> | string,
): Promise<string> {
  return db.connection().execute(async (connection) => {
    await sql`set enable_seqscan = off`.execute(connection);
    try {
      const explained =
        typeof query === 'string'
          ? await sql<{ 'QUERY PLAN': string }>`explain ${sql.raw(query)}`.execute(connection)
          : await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(connection);
      return explained.rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await sql`reset enable_seqscan`.execute(connection);
    }
  });
}

describe('migration 0008-request-value-indexes: no index holds a request value of unbounded length', () => {
  let database: TestDatabase;
  let migrator: Migrator;

  before(async () => {
    database = await createTestDatabase('wsb_request_values', TEST_POSTGRES_URL, { migrate: false });
    migrator = new Migrator({ db: database.db as unknown as Kysely<unknown>, provider: migrationProvider });
    await migrateTo(migrator, '0007-redaction-record');
  });

  after(async () => {
    await database?.drop();
  });

  it('up replaces the CPR index and its statistics with ones over the md5; down brings the old ones back', async () => {
    const earlier = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    expect(await indexNames(database.db)).to.include('outbox_unredacted_cpr');

    expect(await migrateTo(migrator, '0008-request-value-indexes')).to.deep.equal([
      '0008-request-value-indexes',
    ]);
    const indexes = await indexNames(database.db);
    expect(indexes).to.include('outbox_unredacted_cpr_md5').and.not.include('outbox_unredacted_cpr');
    expect(await statisticsNames(database.db)).to.deep.equal(['outbox_cpr_md5_statistics']);
    const { rows } = await sql<{ message_id: string }>`
      select message_id from outbox o
       where md5(payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer') = md5(${FICTITIOUS_CPR})
         and message_type = 'Ordningsnotifikation' and payload is not null`.execute(database.db);
    expect(
      rows.map((r) => r.message_id),
      'a row from before the migration is in the new index',
    ).to.deep.equal([earlier]);

    await migrateTo(migrator, '0007-redaction-record');
    expect(await indexNames(database.db))
      .to.include('outbox_unredacted_cpr')
      .and.not.include('outbox_unredacted_cpr_md5');
    expect(await statisticsNames(database.db)).to.deep.equal(['outbox_cpr_statistics']);
    await migrateTo(migrator, '0008-request-value-indexes');
  });

  it('stores a row whose every value from the request is as long as it may be (several KB where unbounded)', async () => {
    const text = () => incompressible(8 * 1024);
    // The longest jobCenterKode whose routing key fits AMQP's 255 bytes (the intake refuses longer).
    const jobCenterKode = incompressible(255 - 'gdprslettetnotifikation.'.length);
    const payload = ordningsnotifikation(
      { eksternIdentifier: randomUUID(), jobCenterKode },
      {
        ansvarligMedarbejderEmail: text(),
        cvrNummer: text(),
        pNummer: text(),
        cprNummer: longDigits(8 * 1024),
        vitasDybtLink: text(),
      },
    );
    const message: OutboxMessage = {
      messageId: randomUUID(),
      requestId: `A-${'x'.repeat(40)}~!@{` as RequestId,
      kind: 'Ordningsnotifikation',
      eksternIdentifier: payload.ordningsnotifikation.eksternIdentifier,
      jobCenterKode,
      registreringsDato: new Date(),
      aendringstype: 'Oprettelse',
      clientId: text(),
      clientCertSubject: text(),
      receivedAt: new Date(),
      exchange: 'virksomhedsordning.webservicebesked',
      routingKey: `ordningsnotifikation.${jobCenterKode}`,
      payload,
      traceContext: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: text() },
    };
    const inserted = await database.db.transaction().execute((trx) => insertOutboxRows(trx, [message]));
    expect([...inserted.requestIds]).to.deep.equal([message.requestId]);
    const gdpr = gdprSlettetNotifikation(
      {},
      { vitasSagsId: text(), cprNumre: [longDigits(8 * 1024), longDigits(8 * 1024)] },
    );
    await accept(database.db, 'GdprSlettetNotifikation', gdpr);
  });

  it('the GDPR erasure finds a CPR number of any length through the index, and only that number', async () => {
    const cpr = longDigits(6 * 1024);
    const named = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({}, { cprNummer: cpr }),
    );
    const almost = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({}, { cprNummer: `${cpr.slice(0, -1)}${(Number(cpr.at(-1)) + 1) % 10}` }),
    );
    const erasure = await accept(
      database.db,
      'GdprSlettetNotifikation',
      gdprSlettetNotifikation(
        { eksternIdentifier: randomUUID() },
        { cprNumre: [cpr], slettedeExternalIdentifiers: [] },
      ),
    );
    const { rows } = await erasureTargets(erasure, 'any').execute(database.db);
    expect(rows.map((r) => r.message_id))
      .to.include(named)
      .and.not.include(almost);

    expect(await planWithoutSeqScan(database.db, erasureTargets(erasure, 'any'))).to.include(
      'outbox_unredacted_cpr_md5',
    );
  });

  it('the documented subject-access query is an index look-up too', async () => {
    // Enough rows, each its own CPR number, that a scan of any whole index costs more than a look-up.
    await sql`
      insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                          registrerings_dato, aendringstype, client_id, received_at, exchange, routing_key,
                          payload)
      select gen_random_uuid(), 'plan-' || i, message_type, gen_random_uuid(), jobcenter_kode,
             registrerings_dato, aendringstype, client_id, received_at, exchange, routing_key,
             jsonb_set(payload, '{ordningsnotifikation,body,cprNummer}', to_jsonb(lpad(i::text, 10, '0')))
        from outbox, generate_series(1, 5000) i
       where message_type = 'Ordningsnotifikation' and payload is not null
       limit 5000`.execute(database.db);
    await sql`analyze outbox`.execute(database.db);
    const query = documentedQueries().find((q) => q.title.includes('one CPR number'));
    expect(query, 'the subject access query in docs/auditing.md').to.not.equal(undefined);
    expect(
      await planWithoutSeqScan(database.db, withVariables(query!.sql, { cpr: FICTITIOUS_CPR })),
    ).to.include('outbox_unredacted_cpr_md5');
  });
});

/**
 * npm run bench:growth — how the outbox behaves as history grows.
 *
 * Fills a fresh database with 10 000, then 1 000 000 delivered rows (payload about 1 KB, received
 * over the last 60 days), plus a steady undelivered set (200 pending, 5 parked), and prints table
 * and index sizes, the relay's claim time (its walk statement alone, and a whole claim through the
 * relay store, both from src/adapters/postgres/sql/claim.ts), the metrics scrape and `outbox stats` queries, the
 * auditors' documented queries, and payload redaction throughput. Then it replays what the relay
 * really does — rows inserted pending, then delivered by the relay's settle statement — to show the
 * claim before and after (auto)vacuum has cleaned outbox_pending.
 * At the largest size, every console page over HTTP from a `wsb-gateway console` process on that
 * same database (bench/console-pages.ts), and the process's memory.
 * Last, what migration 0005 (the narrow delivery record) costs on a database holding the largest
 * size in the old shape.
 *
 * BENCH_SIZES=10000,1000000 (default) · BENCH_REPEAT=15 (BENCH_REPEAT also sets the console pages', default 20) · BENCH_MIGRATION_ROWS (default: the
 * largest size; 0 skips it) · TEST_POSTGRES_URL as for the tests.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import type pg from 'pg';
import { migrationProvider } from '../migrations';
import type { Database } from '../src/adapters/postgres/database';
import { KyselyPayloadRedactionStore } from '../src/adapters/postgres/kysely-payload-redaction-store';
import { KyselyRelayStore } from '../src/adapters/postgres/kysely-relay-store';
import { walkStatement } from '../src/adapters/postgres/sql/claim';
import { DELIVERED_ESTIMATE_SQL } from '../src/adapters/postgres/sql/delivered-estimate';
import { deliveredStatement } from '../src/adapters/postgres/sql/settle';
import {
  BLOCKED_ENTITIES_SQL,
  DELIVERED_COUNT_SQL,
  UNDELIVERED_SUMMARY_SQL,
} from '../src/adapters/postgres/kysely-outbox-read-model';
import { documentedQueries, withVariables } from '../test/support/audit-queries';
import { printConsoleFigures, timeConsolePages } from './console-pages';
import { measureExplorer } from './explorer-timings';
import { deliveredRowsSelect, historySamples, insertDelivered, undeliveredSet } from './support/history-fill';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres';

const SIZES = (process.env.BENCH_SIZES ?? '10000,1000000').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The relay's defaults: RELAY_BATCH_SIZE, RELAY_CHAIN_LENGTH and RELAY_CLAIM_MAX_ROWS. */
const BATCH = 500;
const CHAIN = { perEntity: 128, rows: 4000 };

/**
 * The relay's claim walk (src/adapters/postgres/sql/claim.ts) as a claim of the relay's default
 * batch with chains runs it first, none of its own rows held: the statement every claim of
 * steady traffic ends with.
 */
function claimWalk(db: Kysely<Database>): { sql: string; parameters: readonly unknown[] } {
  return walkStatement({ limit: BATCH, probeMore: true, held: [] }).compile(db);
}

interface Timing {
  median: number;
  p95: number;
  rows: number;
}

async function timed(repeat: number, run: () => Promise<number>): Promise<Timing> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < repeat; i++) {
    const started = process.hrtime.bigint();
    rows = await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] ?? 0,
    p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)] ?? 0,
    rows,
  };
}

function timeQuery(
  pool: pg.Pool,
  query: string | { sql: string; parameters: readonly unknown[] },
  repeat = REPEAT,
): Promise<Timing> {
  const text = typeof query === 'string' ? query : query.sql;
  const values = typeof query === 'string' ? [] : [...query.parameters];
  return timed(repeat, async () => (await pool.query(text, values)).rowCount ?? 0);
}

/** One whole claim as the relay makes it (KyselyRelayStore, default batch and chains), released. */
function timeStoreClaim(db: Kysely<Database>): Promise<Timing> {
  const store = new KyselyRelayStore(db);
  return timed(REPEAT, async () => {
    const batch = await store.claim(BATCH, CHAIN);
    await batch.release();
    return batch.messages.length;
  });
}

const fmt = (t: Timing) => `median ${t.median.toFixed(2)} ms, p95 ${t.p95.toFixed(2)} ms (${t.rows} rows)`;

async function sizes(pool: pg.Pool): Promise<void> {
  for (const table of ['outbox', 'outbox_pending', 'outbox_delivery']) {
    const { rows } = await pool.query<{ total: string; heap: string; indexes: string }>(
      `select pg_total_relation_size($1) as total, pg_relation_size($1) as heap, pg_indexes_size($1) as indexes`,
      [table],
    );
    const r = rows[0]!;
    const idx = await pool.query<{ name: string; size: string }>(
      `select indexrelname as name, pg_relation_size(indexrelid) as size from pg_stat_user_indexes
        where relname = $1 order by 2 desc`,
      [table],
    );
    console.log(
      `  ${table} total ${mb(Number(r.total))}, heap ${mb(Number(r.heap))}, indexes ${mb(Number(r.indexes))}: ` +
        idx.rows.map((i) => `${i.name} ${mb(Number(i.size))}`).join(', '),
    );
  }
}

async function measure(database: TestDatabase, rows: number): Promise<void> {
  const pool = database.pool;
  console.log(`\n## ${rows.toLocaleString('en')} delivered rows (+200 pending, 5 parked)`);
  await sizes(pool);
  console.log(`  claim walk statement:   ${fmt(await timeQuery(pool, claimWalk(database.db)))}`);
  console.log(`  whole claim (store):    ${fmt(await timeStoreClaim(database.db))}`);
  console.log(
    `  metrics scrape query:   ${fmt(await timeQuery(pool, UNDELIVERED_SUMMARY_SQL.compile(database.db).sql))}`,
  );
  console.log(
    `  stats: blocked entities ${fmt(await timeQuery(pool, BLOCKED_ENTITIES_SQL.compile(database.db), 5))}`,
  );
  console.log(
    `  stats: delivered count  ${fmt(await timeQuery(pool, DELIVERED_COUNT_SQL.compile(database.db), 3))}`,
  );
  console.log(
    `  stats: delivered estimate (the console's overview) ${fmt(await timeQuery(pool, DELIVERED_ESTIMATE_SQL.compile(database.db).sql))}`,
  );
  const vars = {
    jobcenter: '10101',
    from: new Date(Date.now() - 7 * 86_400_000).toISOString(),
    to: new Date().toISOString(),
    ekstern_identifier: (await pool.query<{ e: string }>(`select md5('e' || 1000)::uuid::text as e`)).rows[0]!
      .e,
    request_id: 'bench-1000',
    cpr: '0000001000',
    // No notice erased anything in this history: the look-up by an unknown notice (an index probe).
    notice_message_id: '00000000-0000-4000-8000-000000000000',
  };
  for (const q of documentedQueries()) {
    console.log(
      `  audit: ${q.title.padEnd(78)} ${fmt(await timeQuery(pool, withVariables(q.sql, vars), 3))}`,
    );
  }
  await measureExplorer(database, REPEAT);
  if (rows === Math.max(...SIZES)) {
    console.log(`\n## console pages at ${rows.toLocaleString('en')} delivered rows`);
    printConsoleFigures(await timeConsolePages(database, await historySamples(database, rows)));
  }
}

async function redactionThroughput(database: TestDatabase, cap: number): Promise<void> {
  const store = new KyselyPayloadRedactionStore(database.db);
  const cutoff = new Date(Date.now() - 30 * 86_400_000);
  let redacted = 0;
  const started = process.hrtime.bigint();
  for (;;) {
    const n = await store.redactExpired(cutoff, 500);
    redacted += n;
    if (n < 500 || redacted >= cap) break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `  retention redaction: ${redacted} rows in ${seconds.toFixed(1)} s = ${Math.round(redacted / seconds)} rows/s (batches of 500)`,
  );
  // A GDPR notification naming one entity and one CPR number among all that history.
  const gdprId = randomUUID();
  await database.pool.query(
    `with appended as (
     insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                         aendringstype, client_id, received_at, exchange, routing_key, payload)
     values ($1::uuid, 'bench-gdpr-' || left($1::text, 8), 'GdprSlettetNotifikation', md5('e' || 999990)::uuid, '10101', now(), 'Sletning',
             'vitas', now(), 'x', 'gdprslettetnotifikation.10101',
             jsonb_build_object('gdprSlettetNotifikation', jsonb_build_object('eksternIdentifier', md5('e' || 999990)::uuid,
               'body', jsonb_build_object('cprNumre', jsonb_build_array(lpad('999996', 10, '0')),
                                          'slettedeExternalIdentifiers', jsonb_build_array(md5('e' || 999991)::uuid)))))
     returning seq)
     insert into outbox_delivery (seq) select seq from appended`,
    [gdprId],
  );
  const t0 = process.hrtime.bigint();
  const targets = await store.redactErasureTargets(gdprId, 500);
  const own = await store.redactErasure(gdprId);
  console.log(
    `  GDPR erasure of one notification: ${targets} earlier rows + own=${own} in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`,
  );
}

/** What the relay really leaves behind: rows inserted pending, then delivered. */
async function churn(database: TestDatabase, count: number): Promise<void> {
  const pool = database.pool;
  console.log(
    `\n## churn: ${count.toLocaleString('en')} rows inserted pending, then delivered (as the relay does)`,
  );
  await pool.query(`alter table outbox_pending set (autovacuum_enabled = off)`);
  await pool.query(
    `with appended as (
       insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                           aendringstype, client_id, received_at, exchange, routing_key, payload)
       select gen_random_uuid(), 'bench-churn-' || i, 'Ordningsnotifikation', md5('c' || i)::uuid, '10101', now(),
              'Opdatering', 'vitas', now(), 'x', 'ordningsnotifikation.10101', jsonb_build_object('note', repeat(md5(i::text), 24))
         from generate_series(1, $1) i
       returning seq, ekstern_identifier, received_at)
     insert into outbox_pending (seq, ekstern_identifier, received_at)
     select seq, ekstern_identifier, received_at from appended`,
    [count],
  );
  const { rows: churned } = await pool.query<{ seq: string }>(
    `select p.seq from outbox_pending p join outbox o on o.seq = p.seq where o.request_id like 'bench-churn-%'`,
  );
  const started = process.hrtime.bigint();
  await deliveredStatement(churned.map((r) => r.seq)).execute(database.db);
  console.log(
    `  marking them delivered (the relay's settle statement, once): ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`,
  );
  console.log(
    `  claim walk, dead entries not yet vacuumed: ${fmt(await timeQuery(pool, claimWalk(database.db)))}`,
  );
  console.log(`  whole claim, dead entries not yet vacuumed: ${fmt(await timeStoreClaim(database.db))}`);
  await pool.query(`vacuum analyze outbox_pending`);
  console.log(
    `  claim walk, after vacuum:                  ${fmt(await timeQuery(pool, claimWalk(database.db)))}`,
  );
  console.log(`  whole claim, after vacuum:                 ${fmt(await timeStoreClaim(database.db))}`);
  await pool.query(`alter table outbox_pending reset (autovacuum_enabled)`);
}

/**
 * Migration 0005 on a database holding `rows` delivered rows (plus the undelivered set) in the
 * shape 0004 left: how long the gateway must stay stopped for it.
 */
async function migrationCost(rows: number): Promise<void> {
  const database = await createTestDatabase('wsb_bench_migration');
  try {
    const migrator = new Migrator({
      db: database.db as unknown as Kysely<unknown>,
      provider: migrationProvider,
    });
    const down = await migrator.migrateTo('0004-trace-context');
    if (down.error !== undefined) throw down.error;
    const pool = database.pool;
    const chunk = 100_000;
    for (let start = 0; start < rows; start += chunk) {
      await pool.query(
        `insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                             registrerings_dato, aendringstype, client_id, received_at, exchange, routing_key, payload,
                             status, attempts, delivered_at)
         select r.*, 'delivered', 1, now() from (${deliveredRowsSelect}) r`,
        [start, Math.min(rows, start + chunk), rows],
      );
    }
    await pool.query(
      `insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                           aendringstype, client_id, received_at, exchange, routing_key, payload, status, attempts)
       select gen_random_uuid(), 'bench-undelivered-' || i, 'Ordningsnotifikation', md5('u' || (i / 2))::uuid,
              '10101', now(), 'Opdatering', 'vitas', now(), 'x', 'ordningsnotifikation.10101',
              jsonb_build_object('note', 'x'), case when i < 5 then 'parked' else 'pending' end, 0
         from generate_series(0, 204) i`,
    );
    await pool.query(`vacuum analyze outbox`);
    const started = process.hrtime.bigint();
    const up = await migrator.migrateTo('0005-delivery-record');
    if (up.error !== undefined) throw up.error;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const counts = await pool.query<{ pending: string; delivered: string }>(
      `select (select count(*) from outbox_pending) as pending, (select count(*) from outbox_delivery) as delivered`,
    );
    console.log(
      `\n## migration 0005 (narrow delivery record) on ${(rows + 205).toLocaleString('en')} rows in the old shape\n` +
        `  took ${seconds.toFixed(1)} s in one transaction (intake and relay wait meanwhile); carried over ` +
        `${counts.rows[0]!.pending} undelivered, ${counts.rows[0]!.delivered} delivered`,
    );
  } finally {
    await database.drop();
  }
}

/**
 * Migration 0007 (the redaction record) on the database as the largest size left it: down to 0006,
 * then timed back up, filling in the reason for every redacted row the history explains.
 */
async function redactionRecordMigrationCost(database: TestDatabase): Promise<void> {
  const migrator = new Migrator({
    db: database.db as unknown as Kysely<unknown>,
    provider: migrationProvider,
  });
  const down = await migrator.migrateTo('0006-action-log-reads');
  if (down.error !== undefined) throw down.error;
  await database.pool.query(`vacuum analyze outbox_delivery, operator_action`);
  const started = process.hrtime.bigint();
  const up = await migrator.migrateTo('0007-redaction-record');
  if (up.error !== undefined) throw up.error;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { rows } = await database.pool.query<{ reason: string | null; n: string }>(
    `select redaction_reason as reason, count(*) as n from outbox_delivery where not payload_held group by 1 order by 1`,
  );
  console.log(
    `\n## migration 0007 (redaction record) on this database\n  took ${seconds.toFixed(1)} s in one transaction; ` +
      `redacted rows by reason: ${rows.map((r) => `${r.reason ?? 'unknown'} ${r.n}`).join(', ')}`,
  );
}

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_growth');
  console.log(`# growth bench (database ${database.name}; machine shared, figures noisy)`);
  try {
    const server = await database.pool.query<{ v: string }>(`select current_setting('server_version') as v`);
    console.log(`PostgreSQL ${server.rows[0]!.v}`);
    let have = 0;
    for (const size of SIZES) {
      const started = Date.now();
      await insertDelivered(database.pool, have, size);
      have = size;
      await undeliveredSet(database.pool);
      await sql`vacuum analyze outbox, outbox_pending, outbox_delivery`.execute(database.db);
      console.log(
        `\n(filled to ${size.toLocaleString('en')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
      await measure(database, size);
      await redactionThroughput(database, 100_000);
      await database.pool.query(`vacuum analyze outbox, outbox_pending, outbox_delivery`);
    }
    await redactionRecordMigrationCost(database);
    await churn(database, Number(process.env.BENCH_CHURN ?? 100_000));
  } finally {
    await database.drop();
  }
  const migrationRows = Number(process.env.BENCH_MIGRATION_ROWS ?? Math.max(...SIZES));
  if (migrationRows > 0) await migrationCost(migrationRows);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

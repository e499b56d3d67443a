/**
 * npm run bench:console — every console page over HTTP against a million-row outbox, and the console
 * process's memory.
 *
 * Fills a fresh database with BENCH_ROWS (default 1 000 000) delivered messages (payload about 1 KB,
 * received over the last 60 days, three per entity), an undelivered set (200 pending, 20 failing in
 * four error groups, 5 parked), 500 erasure notices and 20 000 action log rows; then starts
 * `wsb-gateway console` on it as its own process, signs in as operator (development mode) and GETs
 * each page BENCH_REPEAT times (after one warm-up), printing median and p95 per page, then the
 * process's resident set (VmRSS) and its peak (VmHWM) from /proc.
 *
 * `timeConsolePages` takes any filled database, so bench/growth.ts may call it on its own fill.
 * TEST_POSTGRES_URL as for the tests. The console runs from source through tsx, as the tests run it.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { createServer } from 'node:net';
import { startGateway } from '../test/support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);

export interface PageTiming {
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly medianMs: number;
  readonly p95Ms: number;
}

export interface ConsoleFigures {
  readonly pages: readonly PageTiming[];
  /** Resident set of the console process after the run, and its peak, in MB. */
  readonly rssMb: number;
  readonly peakRssMb: number;
}

/** Values to look up that exist in the filled database. */
export interface ConsoleSamples {
  readonly messageId: string;
  readonly requestId: string;
  readonly eksternIdentifier: string;
  readonly undeliveredMessageId: string;
}

interface ConsoleProcess {
  readonly baseUrl: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * `wsb-gateway console` as its own process, as an operator runs it, on a free port, against the
 * given database; resolves once `/login` answers. Development-mode sign-in unless `env` configures
 * OIDC.
 */
async function startConsoleProcess(
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<ConsoleProcess> {
  const port = await freePort();
  const gateway = startGateway(['console'], {
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    CONSOLE_PORT: String(port),
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gateway.child.exitCode !== null) {
      throw new Error(
        `the console exited with ${gateway.child.exitCode}: ${JSON.stringify(gateway.logLines)}`,
      );
    }
    const answered = await fetch(`${baseUrl}/login`, { redirect: 'manual' }).then(
      (r) => r.status,
      () => 0,
    );
    if (answered === 200) break;
    if (Date.now() > deadline) {
      await gateway.stop();
      throw new Error(`the console did not answer on ${baseUrl}/login within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { baseUrl, pid: gateway.child.pid ?? 0, stop: () => gateway.stop().then(() => undefined) };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? 0;

function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/** Signs in through the development form, as a browser would, and returns the session cookie. */
async function signIn(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'role=operator',
    redirect: 'manual',
  });
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (response.status !== 303 || cookies.length === 0) throw new Error(`sign-in: ${response.status}`);
  return cookies.join('; ');
}

/**
 * Starts `wsb-gateway console` on `database`, times a GET of each page `repeat` times over HTTP, reads
 * the process's memory, and stops it.
 */
export async function timeConsolePages(
  database: TestDatabase,
  samples: ConsoleSamples,
  repeat = REPEAT,
): Promise<ConsoleFigures> {
  const server = await startConsoleProcess(database.url, { LOG_LEVEL: 'warn' });
  try {
    const cookie = await signIn(server.baseUrl);
    const week = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const failures = await fetch(`${server.baseUrl}/failures`, { headers: { cookie } }).then((r) => r.text());
    const fingerprint = /href="\/failures\/([0-9a-f]+)"/.exec(failures)?.[1];
    const paths = [
      '/',
      '/overview.json',
      '/messages',
      // The list shows undelivered messages unless a status is chosen: `any` searches the history.
      `/messages?status=any&requestId=${samples.requestId}`,
      `/messages?status=any&messageId=${samples.messageId}`,
      `/messages?status=any&eksternIdentifier=${samples.eksternIdentifier}`,
      '/messages?status=any&jobcenterKode=10101',
      '/messages?status=any&type=GdprSlettetNotifikation',
      '/messages?status=any',
      '/messages?status=delivered',
      '/messages?status=parked',
      `/messages?status=any&from=${encodeURIComponent(week)}&to=${encodeURIComponent(yesterday)}`,
      `/messages?status=delivered&jobcenterKode=10101&from=${encodeURIComponent(week)}`,
      `/messages/${samples.messageId}`,
      `/messages/${samples.undeliveredMessageId}`,
      `/entities/${samples.eksternIdentifier}`,
      '/failures',
      ...(fingerprint === undefined ? [] : [`/failures/${fingerprint}`]),
      '/actions',
      '/gdpr',
    ];
    const pages: PageTiming[] = [];
    for (const path of paths) {
      const times: number[] = [];
      let status = 0;
      let bytes = 0;
      for (let i = 0; i <= repeat; i++) {
        const started = process.hrtime.bigint();
        const response = await fetch(`${server.baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
        const body = await response.arrayBuffer();
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        status = response.status;
        bytes = body.byteLength;
        if (i > 0) times.push(ms); // the first is a warm-up
      }
      times.sort((a, b) => a - b);
      pages.push({ path, status, bytes, medianMs: percentile(times, 0.5), p95Ms: percentile(times, 0.95) });
    }
    return { pages, ...memoryOf(server.pid) };
  } finally {
    await server.stop();
  }
}

export function printConsoleFigures(figures: ConsoleFigures): void {
  console.log('  console pages over HTTP (GET, signed in as operator):');
  for (const p of figures.pages) {
    const flag = p.p95Ms > 100 ? '  ← over 100 ms' : '';
    console.log(
      `    ${p.path.padEnd(72)} ${String(p.status)} ${String(p.bytes).padStart(7)} B  median ${p.medianMs.toFixed(1).padStart(6)} ms, p95 ${p.p95Ms.toFixed(1).padStart(6)} ms${flag}`,
    );
  }
  console.log(
    `  console process: RSS ${figures.rssMb.toFixed(1)} MB after the run, peak ${figures.peakRssMb.toFixed(1)} MB`,
  );
}

/**
 * Delivered rows, three per entity, received over the last 60 days in seq order, ~1 KB payload with a
 * CPR number; every 2 000th row is a GdprSlettetNotifikation naming the entity before it.
 */
async function fill(database: TestDatabase, rows: number): Promise<void> {
  const chunk = 100_000;
  for (let start = 0; start < rows; start += chunk) {
    await database.pool.query(
      `with appended as (
         insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                             registrerings_dato, aendringstype, client_id, received_at, exchange, routing_key, payload)
         select md5('m' || i)::uuid, 'bench-' || i, kind, md5('e' || (i / 3))::uuid, jobcenter, ts,
                case when kind = 'GdprSlettetNotifikation' then 'Sletning'
                     when i % 3 = 0 then 'Oprettelse' else 'Opdatering' end,
                'vitas', ts, 'virksomhedsordning.webservicebesked', lower(kind) || '.' || jobcenter,
                case when kind = 'GdprSlettetNotifikation' then
                  jsonb_build_object('gdprSlettetNotifikation', jsonb_build_object(
                    'eksternIdentifier', md5('e' || (i / 3))::uuid, 'jobCenterKode', jobcenter,
                    'registreringsDato', ts, 'body', jsonb_build_object(
                      'vitasSagsId', 'VITAS-' || i, 'virksomhedsordningSkabelon', 1,
                      'cprNumre', jsonb_build_array(lpad(((i - 1) % 5000000)::text, 10, '0')),
                      'slettedeExternalIdentifiers', jsonb_build_array(md5('e' || ((i - 3) / 3))::uuid))))
                else
                  jsonb_build_object('ordningsnotifikation', jsonb_build_object(
                    'eksternIdentifier', md5('e' || (i / 3))::uuid, 'jobCenterKode', jobcenter,
                    'erOprettelse', i % 3 = 0, 'registreringsDato', ts,
                    'body', jsonb_build_object('cprNummer', lpad((i % 5000000)::text, 10, '0'),
                      'cvrNummer', '12345678', 'ansvarligMedarbejderEmail', 'sagsbehandler@jobcenter.example',
                      'vitasDybtLink', 'https://vitas.example/sag/' || i, 'note', repeat(md5(i::text), 24))))
                end
           from (select i, now() - interval '60 days' * (1 - i::float8 / $3) as ts,
                        lpad(((i % 98) + 101)::text, 3, '0') || '01' as jobcenter,
                        case when i % 2000 = 1999 then 'GdprSlettetNotifikation' else 'Ordningsnotifikation' end as kind
                   from generate_series($1::bigint, $2::bigint - 1) i) g
         returning seq, received_at)
       insert into outbox_delivery (seq, delivered_at, attempts)
       select seq, received_at + interval '200 milliseconds', 1 from appended`,
      [start, Math.min(rows, start + chunk), rows],
    );
  }
  // Undelivered: 200 due, 20 failing with four kinds of error (ids and numbers vary), 5 parked.
  await database.pool.query(
    `with appended as (
       insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                           aendringstype, client_id, received_at, exchange, routing_key, payload)
       select gen_random_uuid(), 'bench-undelivered-' || i, 'Ordningsnotifikation', md5('u' || i)::uuid, '10101',
              now(), 'Opdatering', 'vitas', now() - i * interval '1 second',
              'virksomhedsordning.webservicebesked', 'ordningsnotifikation.10101',
              jsonb_build_object('note', repeat(md5(i::text), 24))
         from generate_series(0, 224) i
       returning seq, ekstern_identifier, received_at, request_id)
     insert into outbox_pending (seq, ekstern_identifier, received_at, parked, attempts, last_error, next_attempt_at)
     select seq, ekstern_identifier, received_at, n >= 220, case when n >= 200 then 3 else 0 end,
            case when n >= 200 then (array[
              'unroutable: no queue is bound for routing key ordningsnotifikation.' || (20000 + n) || ' on exchange x',
              'nack: the broker nacked the message',
              'timeout: no publisher confirm within 30000 ms',
              'unroutable: the row names exchange old.' || n || ', but the relay publishes to x'])[n % 4 + 1]
            end,
            now() + interval '1 hour'
       from (select *, row_number() over (order by seq) - 1 as n from appended) a`,
  );
  await database.pool.query(
    `insert into operator_action (action, message_id, request_id, actor, reason, at, details)
     select (array['replay', 'park', 'reveal', 'subject-access'])[i % 4 + 1], md5('m' || (i * 37))::uuid,
            'bench-' || (i * 37), 'bench:operator-' || (i % 7), 'bench reason ' || i,
            now() - interval '60 days' * (1 - i::float8 / 20000), '{}'::jsonb
       from generate_series(0, 19999) i`,
  );
  await sql`vacuum analyze outbox, outbox_pending, outbox_delivery, operator_action`.execute(database.db);
}

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_console');
  console.log(`# console pages bench (database ${database.name}; machine shared, figures noisy)`);
  try {
    const started = Date.now();
    await fill(database, ROWS);
    console.log(
      `(filled ${ROWS.toLocaleString('en')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    const middle = Math.floor(ROWS / 2);
    const { rows } = await sql<{ message_id: string }>`
      select message_id from outbox_audit where status <> 'delivered' order by seq limit 1`.execute(
      database.db,
    );
    const samples: ConsoleSamples = {
      messageId: (
        await sql<{ id: string }>`select md5(${`m${middle}`})::uuid::text as id`.execute(database.db)
      ).rows[0]!.id,
      requestId: `bench-${middle}`,
      eksternIdentifier: (
        await sql<{ id: string }>`select md5(${`e${Math.floor(middle / 3)}`})::uuid::text as id`.execute(
          database.db,
        )
      ).rows[0]!.id,
      undeliveredMessageId: rows[0]!.message_id,
    };
    console.log(`\n## ${ROWS.toLocaleString('en')} delivered rows (+225 undelivered, 20 000 actions)`);
    printConsoleFigures(await timeConsolePages(database, samples));
  } finally {
    await database.drop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

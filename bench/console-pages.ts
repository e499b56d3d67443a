/**
 * npm run bench:console — every console page over HTTP against a million-row outbox, and the console
 * process's memory.
 *
 * `timeConsolePages` starts `wsb-gateway console` on a filled database as its own process, signs in
 * as operator (development mode) and GETs each page BENCH_REPEAT times (default 20, after one
 * warm-up), printing median and p95 per page, then the process's resident set (VmRSS) and its peak
 * (VmHWM) from /proc. npm run bench:growth calls it on its million-row database.
 *
 * Run alone, it fills a fresh database as bench:growth fills its largest size (the history of
 * support/history-fill.ts: BENCH_ROWS, default 1 000 000, delivered rows and the undelivered set;
 * explorer-timings.ts's GDPR notices, failures and action log) and times the pages only.
 * TEST_POSTGRES_URL as for the tests. The console runs from source through tsx, as the tests run it;
 * with BENCH_CONSOLE_BUILT=1 it runs `node dist/src/main.js console` (`npm run build` first), as
 * production runs it, so that its memory is the console's own and not tsx's too.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { FROM_SOURCE, startGateway } from '../test/support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres';
import { addExplorerData } from './explorer-timings';
import { cpuSecondsOf } from './support/cpu';
import { historySamples, type HistorySamples, insertDelivered, undeliveredSet } from './support/history-fill';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);

export interface PageTiming {
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** CPU time of the console process per request (user + system, /proc; 10 ms ticks over all repeats). */
  readonly consoleCpuMs: number;
}

export interface ConsoleFigures {
  /** How the console ran: `node dist/src/main.js console` (built) or through tsx from source. */
  readonly command: string;
  readonly pages: readonly PageTiming[];
  /** Resident set of the console process once it answered /login, before any page, in MB. */
  readonly startRssMb: number;
  /** Resident set of the console process after the run, and its peak, in MB. */
  readonly rssMb: number;
  readonly peakRssMb: number;
}

interface ConsoleProcess {
  readonly command: string;
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
  const entry = process.env.BENCH_CONSOLE_BUILT === '1' ? ['dist/src/main.js'] : FROM_SOURCE;
  const gateway = startGateway(
    ['console'],
    {
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      CONSOLE_PORT: String(port),
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...env,
    },
    entry,
  );
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
  return {
    command: `node ${entry.join(' ')} console`,
    baseUrl,
    pid: gateway.child.pid ?? 0,
    stop: () => gateway.stop().then(() => undefined),
  };
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
  samples: HistorySamples,
  repeat = REPEAT,
): Promise<ConsoleFigures> {
  const server = await startConsoleProcess(database.url, { LOG_LEVEL: 'warn' });
  try {
    const startRssMb = memoryOf(server.pid).rssMb;
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
      let cpuBefore = 0;
      for (let i = 0; i <= repeat; i++) {
        if (i === 1) cpuBefore = cpuSecondsOf(server.pid);
        const started = process.hrtime.bigint();
        const response = await fetch(`${server.baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
        const body = await response.arrayBuffer();
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        status = response.status;
        bytes = body.byteLength;
        if (i > 0) times.push(ms); // the first is a warm-up
      }
      times.sort((a, b) => a - b);
      const consoleCpuMs = ((cpuSecondsOf(server.pid) - cpuBefore) * 1000) / repeat;
      pages.push({
        path,
        status,
        bytes,
        medianMs: percentile(times, 0.5),
        p95Ms: percentile(times, 0.95),
        consoleCpuMs,
      });
    }
    return { command: server.command, pages, startRssMb, ...memoryOf(server.pid) };
  } finally {
    await server.stop();
  }
}

export function printConsoleFigures(figures: ConsoleFigures): void {
  console.log(`  console pages over HTTP (GET, signed in as operator; console: ${figures.command}):`);
  for (const p of figures.pages) {
    const flag = p.p95Ms > 100 ? '  ← over 100 ms' : '';
    console.log(
      `    ${p.path.padEnd(72)} ${String(p.status)} ${String(p.bytes).padStart(7)} B  median ${p.medianMs.toFixed(1).padStart(6)} ms, p95 ${p.p95Ms.toFixed(1).padStart(6)} ms, console CPU ${p.consoleCpuMs.toFixed(1).padStart(5)} ms/request${flag}`,
    );
  }
  console.log(
    `  console process: RSS ${figures.startRssMb.toFixed(1)} MB before the first page, ${figures.rssMb.toFixed(1)} MB after the run, peak ${figures.peakRssMb.toFixed(1)} MB`,
  );
}

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_console');
  console.log(`# console pages bench (database ${database.name}; machine shared, figures noisy)`);
  try {
    const started = Date.now();
    await insertDelivered(database.pool, 0, ROWS);
    await undeliveredSet(database.pool);
    await addExplorerData(database);
    console.log(
      `(filled ${ROWS.toLocaleString('en')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    console.log(`\n## ${ROWS.toLocaleString('en')} delivered rows`);
    printConsoleFigures(await timeConsolePages(database, await historySamples(database, ROWS)));
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

/**
 * `npm run bench:intake`: requests/s and latency at 32 connections for the real intake endpoint
 * (valid token, unique requestIds) against a minimal Koa route that only inserts the same row with
 * pg, measured in the same run on the same database. Prints both and their ratio.
 *
 * Options (environment): BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_ROUNDS (2: the modes
 * alternate, each round runs each mode once, the best round counts), BENCH_MODES.
 *
 * Tracing cost (docs/observability.md): `serve` (tracing off: only the traceparent header and
 * column), `serve-traced` (OTEL_EXPORTER_OTLP_ENDPOINT set, spans exported over OTLP/HTTP to a sink
 * in this process) and `serve-baseline` (the `serve` of another checkout, BENCH_BASELINE_DIR, e.g.
 * `git archive main`, on a database migrated by that checkout), e.g.
 * `BENCH_MODES=serve-baseline,serve,serve-traced BENCH_BASELINE_DIR=/tmp/main npm run bench:intake`.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ordningsnotifikation } from '../test/support/fixtures';
import { createTestDatabase } from '../test/support/postgres';
import { TEST_AUDIENCE, TEST_ISSUER, TestIdentityProvider } from '../test/support/tokens';
import { cpuSecondsOf, postgresCpuMeter } from './support/cpu';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const modes = (process.env.BENCH_MODES ?? 'minimal,gateway').split(',');

export interface IntakeFigures {
  mode: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Peak resident set size of the server process (VmHWM), bytes. */
  peakRssBytes: number;
  /** 2xx answers in the measured interval. */
  accepted: number;
  /**
   * The server process's CPU time (user + system) over the measured interval ÷ its 2xx answers,
   * µs: on a shared machine much steadier than requests/s, which moves with whatever else runs.
   */
  cpuPerAcceptedUs: number;
  /**
   * PostgreSQL's CPU time over the same interval ÷ the same 2xx answers, µs. Every backend of the
   * machine's server counts, other engineers' tests too: an upper bound on a shared machine.
   */
  postgresCpuPerAcceptedUs: number;
}

/** A process's peak resident set size (VmHWM) in bytes, from /proc; NaN where unavailable. */
export function peakRssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
}

async function startServer(mode: string, databaseUrl: string, idp: TestIdentityProvider) {
  if (mode === 'serve') return startServe(databaseUrl, idp);
  if (mode === 'serve-traced') return startServe(databaseUrl, idp, { otlpEndpoint: await otlpSink() });
  if (mode === 'serve-baseline') return startServe(databaseUrl, idp, { cwd: baselineDir() });
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=.bench'] : []),
      '--import',
      'tsx',
      'bench/intake-server.ts',
      mode,
      databaseUrl,
      JSON.stringify(idp.jwks),
      TEST_ISSUER,
      TEST_AUDIENCE,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = /^listening (\d+)$/.exec(line);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`bench server ${mode} did not start`);
}

/**
 * Mode `serve`: the real `wsb-gateway serve` command (configuration from the environment, metrics,
 * the access log at LOG_LEVEL=info). Its stdout goes to a file, as to a log collector in production:
 * read line by line here, the log would cost the load generator's process, not the gateway.
 */
export async function startServe(
  databaseUrl: string,
  idp: TestIdentityProvider,
  variant: {
    readonly cwd?: string;
    readonly otlpEndpoint?: string;
    readonly env?: Record<string, string>;
  } = {},
) {
  const directory = mkdtempSync(path.join(tmpdir(), 'wsb-bench-'));
  writeFileSync(path.join(directory, 'jwks.json'), JSON.stringify(idp.jwks));
  const logFile = path.join(directory, 'serve.log');
  const logFd = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=.bench'] : []),
      '--import',
      'tsx',
      'src/main.ts',
      'serve',
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        ADMIN_PORT: '0',
        DATA_DIR: directory,
        AUTH_JWKS_FILE: path.join(directory, 'jwks.json'),
        AUTH_ISSUER: TEST_ISSUER,
        AUTH_AUDIENCE: TEST_AUDIENCE,
        AUTH_ALGORITHMS: 'RS256',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...(variant.otlpEndpoint !== undefined ? { OTEL_EXPORTER_OTLP_ENDPOINT: variant.otlpEndpoint } : {}),
        ...variant.env,
      },
      stdio: ['ignore', logFd, 'inherit'],
      ...(variant.cwd !== undefined ? { cwd: variant.cwd } : {}),
    },
  );
  closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
    rmSync(directory, { recursive: true, force: true });
  });
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (exited !== undefined) throw new Error(`wsb-gateway serve exited with ${exited}`);
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('intake listening'));
    const port =
      line === undefined ? undefined : (JSON.parse(line) as { address?: { port?: number } }).address?.port;
    if (port !== undefined) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('wsb-gateway serve did not start within 60 s');
}

/**
 * One run of `mode` (`gateway`, `minimal`, `gateway-per-request-transaction`, `serve`) in its own server
 * process: a 2 s warm-up, then `seconds` of autocannon at `connections`.
 */
export async function measureIntake(
  mode: string,
  round: number,
  databaseUrl: string,
  idp: TestIdentityProvider,
  token: string,
  options: { seconds?: number; connections?: number } = {},
): Promise<IntakeFigures> {
  const runSeconds = options.seconds ?? seconds;
  const runConnections = options.connections ?? connections;
  const { child, port } = await startServer(mode, databaseUrl, idp);
  const body = JSON.stringify(ordningsnotifikation());
  let counter = 0;
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}/v1/Webservicebesked/SendOrdningsnotifikation`,
      connections: runConnections,
      duration,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: {
              ...request.headers,
              'x-requestId': `b${mode}-${round}-${process.pid}-${++counter}`,
            },
          }),
        },
      ],
    });
  await run(2); // warm-up: JIT, pool connections
  const cpuBefore = cpuSecondsOf(child.pid);
  const postgresCpu = postgresCpuMeter();
  const result = await run(runSeconds);
  const cpuUs = (cpuSecondsOf(child.pid) - cpuBefore) * 1e6;
  const postgresCpuUs = postgresCpu() * 1e6;
  const peakRssBytes = peakRssOf(child.pid);
  child.kill('SIGTERM');
  await once(child, 'exit');
  return {
    mode,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    peakRssBytes,
    accepted: result['2xx'],
    cpuPerAcceptedUs: cpuUs / Math.max(1, result['2xx']),
    postgresCpuPerAcceptedUs: postgresCpuUs / Math.max(1, result['2xx']),
  };
}

function baselineDir(): string {
  const dir = process.env.BENCH_BASELINE_DIR;
  if (dir === undefined || dir === '') throw new Error('mode serve-baseline needs BENCH_BASELINE_DIR');
  return dir;
}

let sink: Promise<string> | undefined;
/** An OTLP/HTTP endpoint that takes every export and answers 200, as a collector would. */
function otlpSink(): Promise<string> {
  sink ??= new Promise((resolve) => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
  return sink;
}

/** A database for the baseline checkout: created empty, migrated by that checkout's own serve. */
async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await createTestDatabase('wsb_bench_baseline');
  await sql`drop schema public cascade`.execute(database.db);
  await sql`create schema public`.execute(database.db);
  return database;
}

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_intake');
  const baseline = modes.includes('serve-baseline') ? await emptyDatabase() : undefined;
  const idp = await TestIdentityProvider.create();
  const token = await idp.token({ expiresIn: '2h' });
  const best = new Map<string, IntakeFigures>();
  const cpu = new Map<string, Array<{ own: number; postgres: number }>>();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const mode of modes) {
        const url = mode === 'serve-baseline' && baseline !== undefined ? baseline.url : database.url;
        const figures = await measureIntake(mode, round, url, idp, token);
        console.log(
          `round ${round} ${mode.padEnd(34)} ${figures.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  non-2xx ${figures.non2xx}  errors ${figures.errors}  cpu ${figures.cpuPerAcceptedUs.toFixed(0)} µs per 2xx, PostgreSQL ${figures.postgresCpuPerAcceptedUs.toFixed(0)} µs`,
        );
        cpu.set(mode, [
          ...(cpu.get(mode) ?? []),
          { own: figures.cpuPerAcceptedUs, postgres: figures.postgresCpuPerAcceptedUs },
        ]);
        const previous = best.get(mode);
        if (previous === undefined || figures.requestsPerSecond > previous.requestsPerSecond)
          best.set(mode, figures);
      }
    }
  } finally {
    await database.drop();
    await baseline?.drop();
  }
  console.log(
    `\nintake benchmark: ${connections} connections, ${seconds} s per run, best of ${rounds} rounds, node ${process.version}`,
  );
  console.log('| mode | requests/s | p50 ms | p99 ms | non-2xx | errors |');
  console.log('|---|---|---|---|---|---|');
  for (const f of best.values()) {
    console.log(
      `| ${f.mode} | ${f.requestsPerSecond.toFixed(0)} | ${f.p50} | ${f.p99} | ${f.non2xx} | ${f.errors} |`,
    );
  }
  const ratio = (a: string, b: string) => {
    const x = best.get(a);
    const y = best.get(b);
    if (x !== undefined && y !== undefined) {
      console.log(`ratio ${a} / ${b} = ${(x.requestsPerSecond / y.requestsPerSecond).toFixed(3)}`);
    }
  };
  // CPU per 2xx: each round's ratio to the minimal route of the same round, and the median.
  const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;
  const minimalCpu = cpu.get('minimal') ?? [];
  for (const [mode, values] of cpu) {
    const line = (label: string, of: (v: { own: number; postgres: number }) => number) =>
      `${label} median ${median(values.map(of)).toFixed(0)} µs (${values.map((v) => of(v).toFixed(0)).join(', ')})`;
    const ratios = values.flatMap((v, i) => {
      const m = minimalCpu[i];
      return m === undefined || mode === 'minimal' ? [] : [v.own / m.own];
    });
    console.log(
      `cpu per 2xx ${mode}: ${line('process', (v) => v.own)}; ${line('PostgreSQL', (v) => v.postgres)}${ratios.length > 0 ? `; ÷ minimal, same round: ${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}, target ≤ 1.0)` : ''}`,
    );
  }
  ratio('serve', 'serve-baseline');
  ratio('serve-traced', 'serve');
  ratio('serve-traced', 'serve-baseline');
  const minimal = best.get('minimal');
  for (const f of best.values()) {
    if (minimal !== undefined && f !== minimal) {
      console.log(
        `ratio ${f.mode} / minimal = ${(f.requestsPerSecond / minimal.requestsPerSecond).toFixed(2)} (target ≥ 1.2, goal 1.5)`,
      );
    }
  }
}

if (require.main === module) {
  void main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

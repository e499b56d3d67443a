/**
 * `npm run bench`: one report of the gateway's figures, each next to its reference, all measured
 * in the same run on the same (shared, noisy) machine:
 *  - intake: `wsb-gateway serve` and the bare intake app vs a minimal Koa route that only inserts
 *    the row (bench/intake.ts);
 *  - relay drain: the `wsb-gateway relay` process vs raw amqplib with the same window (bench/relay/);
 *  - recovery: a 100 000-row backlog over 2 000 entities drained under 300 req/s of intake
 *    (bench/relay/recovery.ts);
 *  - end-to-end latency, HTTP 200 → consumer receipt, with its latency budget, at 200 and 500
 *    requests/s on a fresh table and after a 100 000-message drain, then a soak at 300 req/s
 *    (bench/relay/end-to-end.ts: serve and relay processes on the real route);
 *  - memory: peak RSS of the serve process under intake load and of the relay process during the drain.
 * Writes bench/report.md (and prints it) and bench/latency.svg.
 *
 * Environment: BENCH_ROUNDS (2), BENCH_SECONDS (10), BENCH_DRAIN_ROWS (100 000),
 * BENCH_LATENCY_SECONDS (15), BENCH_E2E_DRAIN_ROWS (100 000), BENCH_SOAK_SECONDS (600; 0 = no soak).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../test/support/postgres';
import { TestIdentityProvider } from '../test/support/tokens';
import { type IntakeFigures, measureIntake } from './intake';
import { latencyHistogramSvg } from './latency-histogram';
import { type DrainFigures, drainWorkloads, measureDrain } from './relay/drain';
import { measureEmptyClaim } from './relay/empty-claim';
import { type EndToEndPhase, measureEndToEnd } from './relay/end-to-end';
import { measureRecovery } from './relay/recovery';
import { log, percentile } from './support/figures';
import { budgetTable } from './support/latency-budget';
import { relayEnv } from './support/relay-process';
import { runBench } from './run-bench';

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
const INTAKE_MODES = ['minimal', 'gateway', 'serve'] as const;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const n0 = (value: number) => value.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** The median of a mode's CPU figures over the rounds (the best round by requests/s is kept for the rest). */
const intakeCpu = new Map<string, { own: number[]; postgres: number[] }>();
const median = (values: readonly number[] = []) =>
  [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

async function intake(idp: TestIdentityProvider): Promise<Map<string, IntakeFigures>> {
  log(`\n== intake: autocannon, 32 connections, best of ${rounds} rounds (modes alternate)`);
  const database = await createTestDatabase('wsb_bench_report_intake');
  const token = await idp.token({ expiresIn: '2h' });
  const best = new Map<string, IntakeFigures>();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const mode of INTAKE_MODES) {
        const figures = await measureIntake(mode, round, database.url, idp, token);
        log(
          `   round ${round} ${mode.padEnd(8)} ${n0(figures.requestsPerSecond).padStart(6)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  non-2xx ${figures.non2xx}  errors ${figures.errors}  peak RSS ${mb(figures.peakRssBytes)}  CPU per 2xx ${n0(figures.cpuPerAcceptedUs)} µs, PostgreSQL ${n0(figures.postgresCpuPerAcceptedUs)} µs`,
        );
        const cpu = intakeCpu.get(mode) ?? { own: [], postgres: [] };
        cpu.own.push(figures.cpuPerAcceptedUs);
        cpu.postgres.push(figures.postgresCpuPerAcceptedUs);
        intakeCpu.set(mode, cpu);
        const previous = best.get(mode);
        if (previous === undefined || figures.requestsPerSecond > previous.requestsPerSecond) {
          best.set(mode, {
            ...figures,
            peakRssBytes: Math.max(figures.peakRssBytes, previous?.peakRssBytes ?? 0),
          });
        } else {
          previous.peakRssBytes = Math.max(previous.peakRssBytes, figures.peakRssBytes);
        }
      }
    }
  } finally {
    await database.drop();
  }
  return best;
}

async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadBefore = os.loadavg()[0] ?? NaN;
  log(
    `bench report — ${startedAt}, node ${process.version}, ${os.cpus().length} cores, load average ${loadBefore.toFixed(2)}`,
  );
  const idp = await TestIdentityProvider.create();

  const intakeFigures = await intake(idp);
  // The issue's workloads (BENCH_DRAINS; default uniform 100 000 × 1, 1 000 entities × 50, one
  // entity's 5 000): each against raw publishing of the same messages in the same run.
  const drains: DrainFigures[] = [];
  for (const { rows, entities } of drainWorkloads())
    drains.push(await measureDrain(rows, 'process', entities, relayEnv()));
  const drain = drains[0]!;
  const emptyClaim = await measureEmptyClaim();
  const recovery = await measureRecovery(idp, undefined, undefined, undefined, []);
  const endToEnd = await measureEndToEnd(idp, {
    seconds: latencySeconds,
    soakSeconds: Number(process.env.BENCH_SOAK_SECONDS ?? 600),
  });

  const minimal = intakeFigures.get('minimal')!;
  const gateway = intakeFigures.get('gateway')!;
  const serve = intakeFigures.get('serve')!;
  const measured = endToEnd.phases.filter((p) => p.table !== 'soak');
  const soak = endToEnd.phases.find((p) => p.table === 'soak');
  // The histogram: the busiest phase on the table a drain left.
  const shown = measured.at(-1);
  const lat = shown?.latencies ?? [];
  const p50 = percentile(lat, 50);
  const p99 = percentile(lat, 99);
  const max = lat.at(-1) ?? NaN;
  const floor = (rate: number) => {
    const raw = endToEnd.raw.find((r) => r.rate === rate);
    return raw === undefined
      ? '—'
      : `the route alone (raw amqplib, one message every 1/${rate} s): publish → receipt p50 ${raw.receipt.p50.toFixed(1)} ms, p99 ${raw.receipt.p99.toFixed(1)} ms`;
  };
  const phaseName = (p: EndToEndPhase) =>
    p.table === 'fresh'
      ? 'on a fresh table'
      : `after a ${n0(endToEnd.drained)}-message drain (its rows delivered, its messages left in the relay's queue)`;
  const minutes = (performance.now() - started) / 60_000;

  const rows: string[][] = [
    ['what', 'ours', 'reference (same run)', 'ratio / target'],
    [
      'intake, `wsb-gateway serve` (auth, validation, group commit, metrics, access log), 32 connections',
      `${n0(serve.requestsPerSecond)} req/s, p50 ${serve.p50} ms, p99 ${serve.p99} ms`,
      `minimal Koa route + one INSERT: ${n0(minimal.requestsPerSecond)} req/s, p50 ${minimal.p50} ms, p99 ${minimal.p99} ms`,
      `**${(serve.requestsPerSecond / minimal.requestsPerSecond).toFixed(2)}×** (target ≥ 1.2×, goal 1.5×)`,
    ],
    [
      'intake CPU per 2xx answer, `wsb-gateway serve` (process CPU over the measured interval ÷ its 2xx; median of the rounds)',
      `${n0(median(intakeCpu.get('serve')?.own))} µs; PostgreSQL (whole server) ${n0(median(intakeCpu.get('serve')?.postgres))} µs`,
      `minimal route: ${n0(median(intakeCpu.get('minimal')?.own))} µs; PostgreSQL (whole server) ${n0(median(intakeCpu.get('minimal')?.postgres))} µs`,
      `**${(median(intakeCpu.get('serve')?.own) / median(intakeCpu.get('minimal')?.own)).toFixed(2)}×** (target ≤ 1.0×)`,
    ],
    [
      'intake, the intake app alone (bench server, access log to /dev/null)',
      `${n0(gateway.requestsPerSecond)} req/s, p50 ${gateway.p50} ms, p99 ${gateway.p99} ms`,
      `minimal route: ${n0(minimal.requestsPerSecond)} req/s`,
      `${(gateway.requestsPerSecond / minimal.requestsPerSecond).toFixed(2)}×`,
    ],
    ...drains.map((d) => [
      `relay drain, ${n0(d.rows)} pending ~1 KB rows, ${n0(d.entities)} entities × ${n0(d.rows / d.entities)} → quorum queue, \`wsb-gateway relay\` process`,
      `${n0(d.relayMessagesPerSecond)} msg/s in ${d.drainSeconds.toFixed(1)} s; CPU relay ${d.relayCpuSeconds.toFixed(1)} s (${d.relayCpuMicrosPerMessage.toFixed(1)} µs/msg), PostgreSQL (whole server) ${d.postgresCpuSeconds.toFixed(1)} s; peak RSS ${mb(d.relayPeakRssBytes)}`,
      `raw amqplib confirm channel, same messages, window 3 000: ${n0(d.rawMessagesPerSecond)} msg/s, CPU ${d.rawCpuMicrosPerMessage.toFixed(1)} µs/msg${d.entities === 1 ? `; window 1: ${n0(d.rawWindow1MessagesPerSecond)} msg/s` : ''}`,
      `${
        d.entities === 1
          ? `**${(d.relayMessagesPerSecond / d.rawWindow1MessagesPerSecond).toFixed(2)}× of window 1** (target ≥ 500 msg/s: ${d.relayMessagesPerSecond >= 500 ? 'met' : 'not met'})`
          : `**${d.ratio.toFixed(2)}×** (target ≥ ${d.entities === d.rows ? '0.85' : '0.8'}×)`
      }; CPU per message ÷ raw's **${d.cpuRatio.toFixed(2)}×** (target ≤ 1.5×: ${d.cpuRatio <= 1.5 ? 'met' : 'not met'})`,
    ]),
    [
      'empty claim, 100 000 pending rows over 1 000 entities, every entity with a message in flight (median of 25)',
      `${emptyClaim.ownMs.toFixed(2)} ms from the relay holding them; ${emptyClaim.otherMs.toFixed(2)} ms from another relay`,
      '—',
      `target ≤ 2 ms: ${emptyClaim.ownMs <= 2 ? 'met' : 'not met'}`,
    ],
    ...measured.map((p) => [
      `end-to-end, HTTP 200 → consumer receipt, ${p.rate} req/s for ${latencySeconds} s ${phaseName(p)}; \`serve\` and \`relay\` processes, real route (first second not counted)`,
      `**p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms**, max ${p.max.toFixed(1)} ms (${n0(p.count)} messages${p.failed > 0 ? `, ${p.failed} requests failed` : ''}); CPU per message: serve ${(p.serveCpuMsPerMessage * 1000).toFixed(0)} µs, relay ${(p.relayCpuMsPerMessage * 1000).toFixed(0)} µs`,
      floor(p.rate),
      `p50 ≤ 5 ms: ${p.p50 <= 5 ? 'met' : 'not met'}; p99 ≤ 20 ms: ${p.p99 <= 20 ? 'met' : 'not met'}`,
    ]),
    ...(soak === undefined || soak.minutes.length < 3
      ? []
      : [
          [
            `soak: 300 req/s for ${soak.minutes.length.toFixed(0)} minutes, after the phases above; end-to-end p99 by minute`,
            `second minute **${soak.minutes[1]!.p99.toFixed(1)} ms**, last **${soak.minutes.at(-1)!.p99.toFixed(1)} ms** (all: ${soak.minutes.map((m) => m.p99.toFixed(0)).join(', ')} ms)`,
            '—',
            `**${(soak.minutes.at(-1)!.p99 / soak.minutes[1]!.p99).toFixed(2)}×** (target ≤ 1.1, p99 ≤ 20 ms: ${soak.minutes.at(-1)!.p99 / soak.minutes[1]!.p99 <= 1.1 && soak.minutes.at(-1)!.p99 <= 20 ? 'met' : 'not met'})`,
          ],
        ]),
    [
      `recovery: ${n0(recovery.backlog)} pending ~1 KB rows over ${n0(recovery.entities)} entities drained while \`wsb-gateway serve\` takes ${recovery.intakeRate} req/s (\`serve\` and \`relay\` processes)`,
      `oldest pending younger than 1 s after **${recovery.recoverySeconds.toFixed(1)} s**; intake meanwhile ${n0(recovery.accepted)} × 200, ${recovery.failed} other; CPU relay ${recovery.relayCpuSeconds.toFixed(1)} s, serve ${recovery.serveCpuSeconds.toFixed(1)} s, PostgreSQL ${recovery.postgresCpuSeconds.toFixed(1)} s`,
      `backlog ÷ raw rate (${n0(recovery.rawMessagesPerSecond)} msg/s) = ${(recovery.backlog / recovery.rawMessagesPerSecond).toFixed(1)} s`,
      `**${recovery.normalised.toFixed(2)}×** (goal ≤ 1.5)`,
    ],
    [
      'memory, peak RSS (VmHWM)',
      `serve under intake load: ${mb(serve.peakRssBytes)}; relay process during the drain: ${mb(drain.relayPeakRssBytes)}`,
      `minimal route: ${mb(minimal.peakRssBytes)}; intake app alone: ${mb(gateway.peakRssBytes)}`,
      `serve / minimal ${(serve.peakRssBytes / minimal.peakRssBytes).toFixed(2)}×`,
    ],
  ];
  const table = rows.map(
    (r, i) => `| ${r.join(' | ')} |${i === 0 ? `\n|${r.map(() => '---').join('|')}|` : ''}`,
  );
  const markdown = [
    '# Benchmark report (`npm run bench`)',
    '',
    `${startedAt} · node ${process.version} · ${os.cpus().length} cores, shared with other engineers' tests (load average ${loadBefore.toFixed(2)} at the start, ${(os.loadavg()[0] ?? NaN).toFixed(2)} at the end) · ${minutes.toFixed(1)} minutes.`,
    'Every figure and its reference come from this one run; compare ratios, not absolute figures, across runs.',
    '',
    ...table,
    '',
    '## The latency budget',
    '',
    'Where each message’s time went, commit → consumer receipt, from the timestamps the processes recorded',
    '(LATENCY_TRACE_FILE; bench/support/latency-budget.ts); the segments add up to the sum row.',
    '',
    ...measured.flatMap((p) => [
      `### ${p.rate} req/s ${phaseName(p)}`,
      '',
      `${p.budget.traced} messages traced; what ended the relay's wait before their claims: ${Object.entries(
        p.budget.wokenBy,
      )
        .map(([by, n]) => `${by} ${n}`)
        .join(', ')}.`,
      '',
      budgetTable(p.budget),
      '',
    ]),
    `Intake: best of ${rounds} rounds of 10 s per mode, modes alternating. Latency histogram: [latency.svg](latency.svg).`,
    'Every process runs from source under tsx (`node --import tsx`), the minimal route too; the transpiler adds to',
    'each RSS, so compare memory between the rows rather than with a production process running `dist/`.',
    '',
  ].join('\n');
  const directory = path.resolve(__dirname);
  writeFileSync(path.join(directory, 'report.md'), markdown);
  writeFileSync(
    path.join(directory, 'latency.svg'),
    latencyHistogramSvg(lat, {
      title: `End-to-end latency at ${shown?.rate ?? NaN} requests/s after a drain (${n0(lat.length)} messages)`,
      caption: `p50 ${p50.toFixed(1)} ms · p99 ${p99.toFixed(1)} ms · max ${max.toFixed(1)} ms · ${startedAt}`,
    }),
  );
  log(`\n${markdown}`);
  log(`written: bench/report.md, bench/latency.svg (${minutes.toFixed(1)} minutes)`);
}

runBench(main);

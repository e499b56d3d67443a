/**
 * End-to-end latency on the real route, with its latency budget: `wsb-gateway serve` and
 * `wsb-gateway relay` as processes of their own, each recording its timestamps (LATENCY_TRACE_FILE);
 * the relay publishes to a topic exchange that routes each message to the relay's own queue
 * (declared by it, as its default queue is, never consumed) and to a consumed quorum queue. This
 * process sends evenly paced requests, each its own new entity, and consumes. Phases: on a fresh
 * table, then after the relay has drained a backlog (its rows delivered, not vacuumed; its messages
 * left in the relay's queue), each at each rate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DELIVERED_COUNT_SQL } from '../../src/adapters/postgres/kysely-outbox-read-model';
import { insertPendingRows, pendingBacklog } from '../../test/support/outbox-rows';
import { createTestDatabase } from '../../test/support/postgres';
import { connect } from 'amqplib';
import { deleteTopology, freshQueue, TEST_AMQP_URL, uniqueName } from '../../test/support/rabbitmq';
import type { TestIdentityProvider } from '../../test/support/tokens';
import { startServe } from '../intake';
import { cpuSecondsOf } from '../support/cpu';
import { log, percentile } from '../support/figures';
import { budgetTable, type LatencyBudget, latencyBudget } from '../support/latency-budget';
import { postPaced } from '../support/paced-load';
import { relayEnv, startRelayProcess } from '../support/relay-process';

export interface EndToEndPhase {
  readonly table: 'fresh' | 'after drain' | 'soak';
  readonly rate: number;
  readonly count: number;
  /** HTTP 200 → consumer receipt, ms, the first second not counted, ascending. */
  readonly latencies: readonly number[];
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly failed: number;
  readonly budget: LatencyBudget;
  /** CPU seconds per 1 000 messages of the serve and relay processes during the phase. */
  readonly serveCpuMsPerMessage: number;
  readonly relayCpuMsPerMessage: number;
  /** p99 by minute of the phase (by when each request was answered). */
  readonly minutes: Array<{ readonly p99: number; readonly count: number }>;
}

export interface EndToEndFigures {
  readonly phases: EndToEndPhase[];
  readonly drained: number;
  readonly drainSeconds: number;
  /**
   * The route's floor, same run: raw amqplib publishing one message at a time at each rate to the
   * same exchange (both queues), publish → consumer receipt and publish → confirm, p50 and p99 in ms.
   */
  readonly raw: Array<{
    rate: number;
    receipt: { p50: number; p99: number };
    confirm: { p50: number; p99: number };
  }>;
}

/**
 * Every rate on a fresh table, then a `drainRows`-message backlog (one per entity) drained by the
 * relay, then every rate again.
 */
export async function measureEndToEnd(
  idp: TestIdentityProvider,
  options: {
    rates?: readonly number[];
    seconds?: number;
    drainRows?: number;
    /** A last phase at 300 req/s for this long (0: none), after the others. */
    soakSeconds?: number;
  } = {},
): Promise<EndToEndFigures> {
  const rates = options.rates ?? [200, 500];
  const seconds = options.seconds ?? Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
  const drainRows = options.drainRows ?? Number(process.env.BENCH_E2E_DRAIN_ROWS ?? 100_000);
  const soakSeconds = options.soakSeconds ?? Number(process.env.BENCH_SOAK_SECONDS ?? 0);
  log(
    `\n== end-to-end latency and its budget: serve and relay processes, ${rates.join(' and ')} req/s for ${seconds} s, fresh and after a ${drainRows}-message drain`,
  );
  const exchange = uniqueName('wsb.bench.e2e');
  const relayQueue = uniqueName('wsb.bench.e2e.relay');
  const consumed = uniqueName('wsb.bench.e2e.consumed');
  const jobCenterKode = String(90000 + Math.floor(Math.random() * 9999));
  const directory = mkdtempSync(path.join(tmpdir(), 'wsb-bench-e2e-'));
  const traces = { intake: path.join(directory, 'serve.jsonl'), relay: path.join(directory, 'relay.jsonl') };
  const receipts = path.join(directory, 'receipts.tsv');
  const database = await createTestDatabase('wsb_bench_e2e');
  try {
    await freshQueue(exchange, consumed, `ordningsnotifikation.${jobCenterKode}`);
    const serve = await startServe(database.url, idp, {
      env: { AMQP_EXCHANGE: exchange, LATENCY_TRACE_FILE: traces.intake },
    });
    const relay = await startRelayProcess(database.url, exchange, 'info', {
      ...relayEnv(),
      AMQP_QUEUES: `${relayQueue}:#`,
      LATENCY_TRACE_FILE: traces.relay,
      // For a profile of the relay alone, e.g. BENCH_RELAY_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=.bench'.
      ...(process.env.BENCH_RELAY_NODE_OPTIONS === undefined
        ? {}
        : { NODE_OPTIONS: process.env.BENCH_RELAY_NODE_OPTIONS }),
    });
    const consumer = await startConsumerProcess(consumed, receipts);
    const baseUrl = `http://127.0.0.1:${serve.port}`;
    const token = await idp.token({ expiresIn: '2h' });
    const phases: EndToEndPhase[] = [];
    const raw: EndToEndFigures['raw'] = [];
    let drainSeconds = NaN;
    try {
      const phase = async (
        table: EndToEndPhase['table'],
        rate: number,
        duration = seconds,
      ): Promise<void> => {
        const cpu = { serve: cpuSecondsOf(serve.child.pid), relay: cpuSecondsOf(relay.child.pid) };
        const prefix = `e2e-${table.replace(' ', '-')}-${rate}-`;
        const started = performance.now();
        const sent = await postPaced({
          baseUrl,
          token,
          rate,
          prefix: prefix.slice(0, -1),
          jobCenterKode,
          until: () => performance.now() - started > duration * 1000,
        });
        const serveCpu = cpuSecondsOf(serve.child.pid) - cpu.serve;
        const relayCpu = cpuSecondsOf(relay.child.pid) - cpu.relay;
        const received = await receiptsOf(receipts, prefix, sent.okAt.size);
        // The traces are written by the processes' streams: give them a moment to reach the file.
        await new Promise((resolve) => setTimeout(resolve, 500));
        phases.push(
          summarise(table, rate, started, received, sent, traces, { serve: serveCpu, relay: relayCpu }),
        );
      };
      for (const rate of rates) await phase('fresh', rate);
      if (drainRows > 0) {
        const drainStarted = performance.now();
        await insertPendingRows(database.db, {
          count: drainRows,
          entities: drainRows,
          exchange,
          payloadBytes: 1024,
          prefix: 'e2e-backlog',
        });
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          if ((await pendingBacklog(database.db)).pending === 0) break;
          if (performance.now() - drainStarted > 600_000)
            throw new Error('the backlog did not drain in 10 min');
        }
        drainSeconds = (performance.now() - drainStarted) / 1000;
        log(`   drained ${drainRows} messages in ${drainSeconds.toFixed(1)} s (insert included)`);
        for (const rate of rates) await phase('after drain', rate);
      }
      for (const rate of rates) raw.push(await rawRoute(exchange, jobCenterKode, rate, seconds, receipts));
      if (soakSeconds > 0) await phase('soak', 300, soakSeconds);
    } finally {
      consumer.kill('SIGTERM');
      await relay.stop();
      serve.child.kill('SIGTERM');
      await new Promise((resolve) => serve.child.once('exit', resolve));
    }
    const delivered = await DELIVERED_COUNT_SQL.execute(database.db);
    log(`   (${delivered.rows[0]?.n} delivered rows at the end)`);
    return { phases, drained: drainRows, drainSeconds, raw };
  } finally {
    await deleteTopology(exchange, [consumed, relayQueue]).catch(() => undefined);
    await database.drop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * The route without the gateway: a confirm channel publishing one ~1 KB persistent message every
 * 1/rate s to `exchange` (routed to both queues), never waiting for a confirm before the next.
 */
async function rawRoute(
  exchange: string,
  jobCenterKode: string,
  rate: number,
  seconds: number,
  receipts: string,
): Promise<EndToEndFigures['raw'][number]> {
  const connection = await connect(TEST_AMQP_URL, { noDelay: true });
  const prefix = `raw-${rate}-`;
  const publishedAt = new Map<string, number>();
  const confirms: number[] = [];
  try {
    const channel = await connection.createConfirmChannel();
    const body = Buffer.from(JSON.stringify({ filler: 'x'.repeat(900) }));
    const started = performance.now();
    const pending: Array<Promise<void>> = [];
    for (let i = 0; performance.now() - started < seconds * 1000; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const id = `${prefix}${i}`;
      const at = performance.timeOrigin + performance.now();
      if (i >= rate) publishedAt.set(id, at);
      pending.push(
        new Promise<void>((resolve) => {
          channel.publish(
            exchange,
            `ordningsnotifikation.${jobCenterKode}`,
            body,
            {
              persistent: true,
              messageId: id,
              correlationId: id,
            },
            () => {
              if (i >= rate) confirms.push(performance.timeOrigin + performance.now() - at);
              resolve();
            },
          );
        }),
      );
    }
    await Promise.all(pending);
  } finally {
    await connection.close().catch(() => undefined);
  }
  const received = await receiptsOf(receipts, prefix, publishedAt.size + rate);
  const latencies = received
    .map((r) => r.at - (publishedAt.get(r.requestId) ?? NaN))
    .filter((l) => !Number.isNaN(l))
    .sort((x, y) => x - y);
  confirms.sort((x, y) => x - y);
  const figures = {
    rate,
    receipt: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    confirm: { p50: percentile(confirms, 50), p99: percentile(confirms, 99) },
  };
  log(
    `   RESULT the route's floor, raw amqplib at ${rate} msg/s: publish → consumer receipt p50 ${figures.receipt.p50.toFixed(2)} ms, p99 ${figures.receipt.p99.toFixed(2)} ms; publish → confirm p50 ${figures.confirm.p50.toFixed(2)} ms, p99 ${figures.confirm.p99.toFixed(2)} ms`,
  );
  return figures;
}

/** The consumer of bench/support/consumer-process.ts, once it consumes. */
async function startConsumerProcess(queue: string, file: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/support/consumer-process.ts', queue, file],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('consuming')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the consumer process exited with ${code}`)));
  });
  return child;
}

interface Receipt {
  readonly at: number;
  readonly messageId: string;
  readonly requestId: string;
}

/** The consumer's receipts of the requests named `prefix…`, once there are `count` of them. */
async function receiptsOf(file: string, prefix: string, count: number): Promise<Receipt[]> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const receipts = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.split('\t'))
      .filter((f) => f[2]?.startsWith(prefix) === true)
      .map(([at, messageId, requestId]) => ({
        at: Number(at),
        messageId: messageId!,
        requestId: requestId!,
      }));
    if (receipts.length >= count) return receipts;
    if (performance.now() > deadline)
      throw new Error(`expected ${count} messages, received ${receipts.length}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function summarise(
  table: EndToEndPhase['table'],
  rate: number,
  started: number,
  receipts: readonly Receipt[],
  sent: Awaited<ReturnType<typeof postPaced>>,
  traces: { intake: string; relay: string },
  cpu: { serve: number; relay: number },
): EndToEndPhase {
  const epoch = performance.timeOrigin;
  const observed = [];
  const latencies: number[] = [];
  const byMinute: number[][] = [];
  for (const { at, messageId, requestId } of receipts) {
    const okAt = sent.okAt.get(requestId);
    // The first second warms up JIT, pools and connections: not counted.
    if (okAt === undefined || Number(requestId.split('-').at(-1)) < rate) continue;
    latencies.push(at - (epoch + okAt));
    (byMinute[Math.floor((okAt - started) / 60_000)] ??= []).push(at - (epoch + okAt));
    observed.push({ messageId, okAt: epoch + okAt, receivedAt: at });
  }
  latencies.sort((x, y) => x - y);
  const budget = latencyBudget(observed, traces.intake, traces.relay);
  const result: EndToEndPhase = {
    table,
    rate,
    count: latencies.length,
    latencies,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    failed: sent.failed,
    budget,
    serveCpuMsPerMessage: (cpu.serve * 1000) / Math.max(1, sent.okAt.size),
    relayCpuMsPerMessage: (cpu.relay * 1000) / Math.max(1, sent.okAt.size),
    // Whole minutes only: the phase's last requests may start a minute of a few seconds.
    minutes: [...byMinute]
      .map((values = []) => {
        values.sort((x, y) => x - y);
        return { p99: percentile(values, 99), count: values.length };
      })
      .filter((m, i) => i === 0 || m.count >= 0.8 * rate * 60),
  };
  log(
    `   RESULT end-to-end, ${table}, ${rate} req/s: ${result.count} messages, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms` +
      `${result.failed > 0 ? `, ${result.failed} requests failed ${JSON.stringify(sent.statuses)}` : ''}; CPU per message serve ${(result.serveCpuMsPerMessage * 1000).toFixed(0)} µs, relay ${(result.relayCpuMsPerMessage * 1000).toFixed(0)} µs; ` +
      `${budget.traced} traced, claims woken by ${JSON.stringify(budget.wokenBy)}`,
  );
  if (result.minutes.length > 2)
    log(
      `   RESULT p99 by minute: ${result.minutes.map((m) => m.p99.toFixed(1)).join(', ')} ms; last ÷ second minute ${((result.minutes.at(-1)?.p99 ?? NaN) / (result.minutes[1]?.p99 ?? NaN)).toFixed(2)}`,
    );
  log(budgetTable(budget).replace(/^/gm, '     '));
  return result;
}

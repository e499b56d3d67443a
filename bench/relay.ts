/**
 * npm run bench:relay — the relay's figures, each next to its reference measured in the same run:
 *  1. backlog drain of 100 000 pending ~1 KB rows to a quorum queue, vs raw amqplib confirm
 *     publishing of the same messages with the same window;
 *  2. end-to-end latency, HTTP 200 → consumer receipt, at a steady 500 requests/s, with the
 *     NOTIFY wake-up and with polling only, plus intake throughput with and without the NOTIFY;
 *  3. the claim query's time with 10 000 vs 1 000 000 pending rows.
 *  3b. an empty claim's time with 100 000 pending rows whose 1 000 entities all have a message in flight;
 *  4. recovery: a 100 000-row backlog over 2 000 entities drained while the intake takes 300 req/s.
 * Environment: BENCH_DRAINS (rows×entities list), BENCH_RELAY=process, RELAY_CHAIN_LENGTH,
 * RELAY_CLAIM_MAX_ROWS, BENCH_LATENCY_SECONDS, BENCH_CLAIM_BIG_ROWS, BENCH_SKIP (comma list of
 * 1,2,3,3b,4), BENCH_RECOVERY_ROWS / _ENTITIES / _RATE, and for diagnosis BENCH_RECOVERY_PURGE=1 (purge
 * the backlog's queue) and BENCH_RECOVERY_VACUUM=1 (vacuum the outbox) before part 4's latency phases.
 * Prints figures only; asserts nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'amqplib';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pino from 'pino';
import { GroupCommitUnitOfWork } from '../src/adapters/postgres/group-commit-unit-of-work';
import { KyselyRelayStore } from '../src/adapters/postgres/kysely-relay-store';
import { walkStatement } from '../src/adapters/postgres/sql/claim';
import { notifyRelayAfterCommit } from '../src/adapters/postgres/notify-relay-after-commit';
import { OUTBOX_CHANNEL, PgListenWakeUp } from '../src/adapters/postgres/pg-listen-wake-up';
import { type OutboxWakeUp, type RelayMessage, silentRelayObserver } from '../src/application/relay/ports';
import { ordningsnotifikation } from '../test/support/fixtures';
import { ORDNINGS_PATH, startIntake } from '../test/support/intake';
import { insertPendingRows, pendingBacklog } from '../test/support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres';
import {
  deleteTopology,
  TEST_AMQP_URL,
  TestConsumer,
  uniqueName,
  withChannel,
} from '../test/support/rabbitmq';
import { type GatewayProcess, startGateway } from '../test/support/gateway-process';
import { pollingWakeUp, startRelayInProcess } from '../test/support/relay';
import { peakRssOf, startServe } from './intake';
import { TestIdentityProvider } from '../test/support/tokens';
import { runBench } from './run-bench';

const BATCH = 500;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 6);
const WINDOW = BATCH * IN_FLIGHT;
const skip = new Set((process.env.BENCH_SKIP ?? '').split(','));

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function freshQueue(exchange: string, queue: string): Promise<void> {
  await withChannel(async (channel) => {
    await channel.deleteQueue(queue);
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(queue, exchange, '#');
  });
}

/** Every row of the outbox as the relay would publish it, in seq order (for the raw publisher). */
async function pendingMessages(database: TestDatabase): Promise<RelayMessage[]> {
  const { rows } = await sql<{
    seq: string;
    message_id: string;
    request_id: string;
    ekstern_identifier: string;
    received_at: Date;
    exchange: string;
    routing_key: string;
    body: string;
  }>`
    select seq, message_id, request_id, ekstern_identifier, received_at, exchange, routing_key,
           payload::text as body
      from outbox order by seq`.execute(database.db);
  return rows.map((r) => ({
    seq: r.seq,
    messageId: r.message_id,
    requestId: r.request_id,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: r.ekstern_identifier,
    jobCenterKode: '10101',
    aendringstype: 'Opdatering',
    receivedAt: r.received_at,
    exchange: r.exchange,
    routingKey: r.routing_key,
    body: r.body,
    attempts: 0,
  }));
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN if it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by each PostgreSQL server process on this machine, by pid. */
function postgresCpuByPid(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      cpu.set(Number(entry), cpuSecondsOf(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return cpu;
}

/**
 * Starts counting the CPU of every PostgreSQL server process on this machine (all databases: the
 * server is shared, so other engineers' tests count too); the function returned gives the CPU
 * seconds used since. Counted per process: a backend that exits meanwhile (a pool closing) must
 * not subtract what it had used before — a plain difference of totals did, and reported 0.5 s of
 * PostgreSQL CPU for a 10 s drain. What an exiting backend used meanwhile is lost (undercounted).
 */
export function postgresCpuMeter(): () => number {
  const before = postgresCpuByPid();
  return () => {
    let used = 0;
    for (const [pid, seconds] of postgresCpuByPid()) {
      const delta = seconds - (before.get(pid) ?? 0);
      if (Number.isFinite(delta) && delta > 0) used += delta;
    }
    return used;
  };
}

/**
 * A fresh database holding pending rows (insertPendingRows), vacuumed and analysed: the backlog a
 * broker outage leaves. Dropped again if filling it fails.
 */
async function databaseWithBacklog(
  name: string,
  rows: Parameters<typeof insertPendingRows>[1],
): Promise<TestDatabase> {
  const database = await createTestDatabase(name);
  try {
    await insertPendingRows(database.db, rows);
    await sql`vacuum analyze outbox, outbox_pending`.execute(database.db);
    return database;
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/**
 * `wsb-gateway relay` as its own process on `exchange` (declaring no queue: the bench declares its
 * own), with the bench's batch and window; resolves once it is connected, with its topology.
 */
async function startRelayProcess(
  databaseUrl: string,
  exchange: string,
  logLevel: 'debug' | 'info',
  env: Record<string, string>,
): Promise<GatewayProcess> {
  const child = startGateway(['relay'], {
    DATABASE_URL: databaseUrl,
    AMQP_URL: TEST_AMQP_URL,
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUES: 'none',
    ADMIN_PORT: '0',
    LOG_LEVEL: logLevel,
    REDACTION_INTERVAL_SECONDS: '0',
    RELAY_BATCH_SIZE: String(BATCH),
    RELAY_IN_FLIGHT_BATCHES: String(IN_FLIGHT),
    ...env,
  });
  try {
    await child.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);
    return child;
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Raw amqplib: one confirm channel, a sliding window of `window` unconfirmed publishes. */
async function rawPublish(
  exchange: string,
  messages: readonly RelayMessage[],
  window: number,
): Promise<number> {
  const connection = await connect(TEST_AMQP_URL);
  const channel = await connection.createConfirmChannel();
  const started = performance.now();
  let inFlight = 0;
  let next = 0;
  let confirmed = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inFlight < window && next < messages.length) {
        const m = messages[next++]!;
        inFlight++;
        channel.publish(
          exchange,
          m.routingKey,
          Buffer.from(m.body, 'utf8'),
          {
            persistent: true,
            mandatory: true,
            messageId: m.messageId,
            correlationId: m.requestId,
            type: m.kind,
            contentType: 'application/json',
            timestamp: Math.floor(m.receivedAt.getTime() / 1000),
            appId: 'bench',
            headers: {
              'x-request-id': m.requestId,
              'jobcenter-kode': m.jobCenterKode,
              'ekstern-identifier': m.eksternIdentifier,
              aendringstype: m.aendringstype,
            },
          },
          (error: unknown) => {
            if (error) return reject(error as Error);
            inFlight--;
            if (++confirmed === messages.length) resolve();
            else pump();
          },
        );
      }
    };
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  await connection.close();
  return messages.length / seconds;
}

export interface DrainFigures {
  rows: number;
  entities: number;
  rawMessagesPerSecond: number;
  /** Raw publishing that waits for every confirm (window 1), measured only for one-entity bursts. */
  rawWindow1MessagesPerSecond: number;
  relayMessagesPerSecond: number;
  ratio: number;
  /** Peak RSS of the relay process (only when it ran as `wsb-gateway relay`), bytes. */
  relayPeakRssBytes: number;
  /** CPU seconds of the relay (process, or this whole process when in-process) during the drain. */
  relayCpuSeconds: number;
  /** CPU seconds of every PostgreSQL process on the machine during the drain. */
  postgresCpuSeconds: number;
  drainSeconds: number;
}

/**
 * Drains `rows` pending ~1 KB rows spread over `entities` entities (row i belongs to entity
 * i mod entities) with the relay, and publishes the same messages with raw amqplib (before and
 * after, averaged), same window. `relay: 'process'` runs `wsb-gateway relay` as its own process
 * (timed from its "connected" log line, so start-up is not counted) and reads its peak RSS and
 * CPU; `'in-process'` runs the relay in this process. `env` adds relay settings (process only).
 */
export async function measureDrain(
  rows: number,
  relay: 'in-process' | 'process' = 'in-process',
  entities = rows / 10,
  env: Record<string, string> = {},
): Promise<DrainFigures> {
  log(
    `\n== 1. backlog drain: ${rows} pending rows (~1 KB payload, ${entities} entities × ${rows / entities}) → one quorum queue ${JSON.stringify(env)}`,
  );
  const exchange = uniqueName('wsb.bench.drain');
  const queue = uniqueName('wsb.bench.drain.q');
  const database = await databaseWithBacklog('wsb_bench_drain', {
    count: rows,
    entities,
    exchange,
    payloadBytes: 1024,
    prefix: 'drain',
  });
  try {
    const messages = await pendingMessages(database);
    log(
      `   body size ${Buffer.byteLength(messages[0]!.body)} bytes; window ${WINDOW} (batch ${BATCH} × ${IN_FLIGHT} in flight)`,
    );

    await freshQueue(exchange, queue);
    const rawBefore = await rawPublish(exchange, messages, WINDOW);
    log(`   raw amqplib confirm channel:  ${rawBefore.toFixed(0)} msg/s`);
    let rawWindow1 = NaN;
    if (entities === 1) {
      await freshQueue(exchange, queue);
      rawWindow1 = await rawPublish(exchange, messages, 1);
      log(`   raw amqplib, window 1 (wait for every confirm): ${rawWindow1.toFixed(0)} msg/s`);
    }

    await freshQueue(exchange, queue);
    // The end is the relay's own report of committed deliveries: polling `count(*) … pending`
    // every 20 ms (as this bench used to) took ~100 ms per poll mid-drain and so competed with
    // the relay for the same two cores. The count is checked once afterwards.
    let ours: number;
    let relayPeakRssBytes = NaN;
    let relayCpu = NaN;
    let pgCpu = NaN;
    let seconds = NaN;
    if (relay === 'process') {
      // The relay process reports each committed batch in a debug log line `delivered {count}`.
      const child = await startRelayProcess(database.url, exchange, 'debug', env);
      try {
        const started = performance.now();
        const cpuBefore = cpuSecondsOf(child.child.pid);
        const pgMeter = postgresCpuMeter();
        const deliveredSoFar = () =>
          child.logLines.reduce((sum, l) => sum + (l.msg === 'delivered' ? Number(l.count) : 0), 0);
        while (deliveredSoFar() < rows) await new Promise((res) => setTimeout(res, 20));
        seconds = (performance.now() - started) / 1000;
        relayCpu = cpuSecondsOf(child.child.pid) - cpuBefore;
        pgCpu = pgMeter();
        ours = rows / seconds;
        relayPeakRssBytes = peakRssOf(child.child.pid);
      } finally {
        await child.stop();
      }
    } else {
      let delivered = 0;
      let drained!: () => void;
      const done = new Promise<void>((resolve) => (drained = resolve));
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const pgMeter = postgresCpuMeter();
      const running = await startRelayInProcess({
        db: database.db,
        exchange,
        queues: [{ name: queue, bindingKey: '#', type: 'quorum' }],
        settings: {
          batchSize: BATCH,
          inFlightBatches: IN_FLIGHT,
          chainLength: Number(env.RELAY_CHAIN_LENGTH ?? 128),
          claimMaxRows: Number(env.RELAY_CLAIM_MAX_ROWS ?? 4000),
        },
        observer: {
          ...silentRelayObserver,
          delivered: (count) => {
            delivered += count;
            if (delivered >= rows) drained();
          },
        },
      });
      await done;
      seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      relayCpu = (cpu.user + cpu.system) / 1e6;
      pgCpu = pgMeter();
      ours = rows / seconds;
      await running.stop();
    }
    const { rows: left } = await sql<{
      n: string;
    }>`select count(*) as n from outbox_pending`.execute(database.db);
    if (Number(left[0]?.n) !== 0) throw new Error(`${left[0]?.n} rows left undelivered`);
    log(
      `   relay${relay === 'process' ? ' process' : ''} (claim → publish → confirm → mark delivered): ${ours.toFixed(0)} msg/s in ${seconds.toFixed(1)} s; CPU relay ${relayCpu.toFixed(1)} s, PostgreSQL (all) ${pgCpu.toFixed(1)} s; peak RSS ${(relayPeakRssBytes / 1048576).toFixed(0)} MB`,
    );

    await freshQueue(exchange, queue);
    const rawAfter = await rawPublish(exchange, messages, WINDOW);
    log(`   raw amqplib again:            ${rawAfter.toFixed(0)} msg/s`);
    const raw = (rawBefore + rawAfter) / 2;
    log(
      `   RESULT drain ${entities} entities × ${rows / entities}: relay ${ours.toFixed(0)} msg/s vs raw ${raw.toFixed(0)} msg/s = ${(ours / raw).toFixed(2)}×${entities === 1 ? `; vs raw window 1 ${rawWindow1.toFixed(0)} msg/s = ${(ours / rawWindow1).toFixed(2)}×` : ''}`,
    );
    return {
      rows,
      entities,
      rawMessagesPerSecond: raw,
      rawWindow1MessagesPerSecond: rawWindow1,
      relayMessagesPerSecond: ours,
      ratio: ours / raw,
      relayPeakRssBytes,
      relayCpuSeconds: relayCpu,
      postgresCpuSeconds: pgCpu,
      drainSeconds: seconds,
    };
  } finally {
    await deleteTopology(exchange, [queue]);
    await database.drop();
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export interface LatencyFigures {
  mode: 'notify' | 'poll';
  /** HTTP 200 → consumer receipt, ms, after the first second, sorted. */
  latencies: number[];
  achievedRate: number;
  failed: number;
}

/** End-to-end latency, HTTP 200 → consumer receipt, at a steady 500 requests/s for `seconds`. */
export async function measureLatency(
  mode: 'notify' | 'poll',
  idp: TestIdentityProvider,
  seconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15),
): Promise<LatencyFigures> {
  const rate = 500;
  const exchange = 'virksomhedsordning.webservicebesked';
  const queue = uniqueName('wsb.bench.latency.q');
  const database = await createTestDatabase('wsb_bench_latency');
  const logger = pino({ level: 'silent' });
  let wakeUp: OutboxWakeUp = pollingWakeUp;
  let listener: PgListenWakeUp | undefined;
  if (mode === 'notify') {
    listener = new PgListenWakeUp(database.url, logger);
    listener.start();
    wakeUp = listener;
  }
  const intake = await startIntake({
    unitOfWork: new GroupCommitUnitOfWork(
      database.db,
      { maxBatchSize: 100, maxConcurrentBatches: 2 },
      undefined,
      mode === 'notify' ? notifyRelayAfterCommit(database.db, OUTBOX_CHANNEL) : undefined,
    ),
    authenticator: idp.authenticator(),
  });
  // The test exchange is shared by name with a real install's default: bind only our own queue,
  // to our requests' unique jobcenter code, and delete the queue afterwards.
  const jobCenterKode = String(90000 + Math.floor(Math.random() * 9999));
  await withChannel(async (channel) => {
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(queue, exchange, `ordningsnotifikation.${jobCenterKode}`);
  });
  const relay = await startRelayInProcess({
    db: database.db,
    exchange,
    queues: [],
    wakeUp,
    settings: { idlePollMs: mode === 'notify' ? 1000 : 10 },
  });
  const consumer = await TestConsumer.start(queue);
  const token = await idp.token({ expiresIn: '1h' });
  try {
    const total = rate * seconds;
    const started = performance.now();
    const sent = await postPaced({
      baseUrl: intake.baseUrl,
      token,
      rate,
      prefix: `lat-${mode}`,
      jobCenterKode,
      until: (count) => count >= total,
    });
    const achieved = total / ((performance.now() - started) / 1000);
    const failed = sent.failed;
    await consumer.waitFor(sent.okAt.size, 60_000);
    const { latencies, warmUp, slow } = latencyOf(consumer, sent.okAt, rate, started);
    if (process.env.BENCH_DEBUG !== undefined && slow.length > 0)
      log(`   slow: ${slow.slice(0, 40).join(' ')}`);
    log(
      `   RESULT latency (${mode === 'notify' ? 'NOTIFY per intake batch + LISTEN' : 'polling every 10 ms, no NOTIFY'}): ` +
        `${latencies.length} messages at ~${Math.min(rate, achieved).toFixed(0)} req/s, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
        `max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms${failed > 0 ? `, ${failed} requests failed` : ''} (target p99 ≤ 50 ms); ` +
        `first second (warm-up, not counted): p99 ${percentile(warmUp, 99).toFixed(1)} ms, max ${(warmUp.at(-1) ?? NaN).toFixed(1)} ms`,
    );
    return { mode, latencies, achievedRate: Math.min(rate, achieved), failed };
  } finally {
    await consumer.close();
    await relay.stop();
    await listener?.stop();
    await intake.close();
    await withChannel(async (channel) => {
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange, { ifUnused: true });
    }).catch(() => undefined);
    await database.drop();
  }
}

/** Intake alone, as fast as it goes, with and without the NOTIFY in each batch transaction. */
async function benchIntakeThroughput(notify: boolean, idp: TestIdentityProvider): Promise<number> {
  const database = await createTestDatabase('wsb_bench_intake');
  const intake = await startIntake({
    unitOfWork: new GroupCommitUnitOfWork(
      database.db,
      { maxBatchSize: 100, maxConcurrentBatches: 2 },
      undefined,
      notify ? notifyRelayAfterCommit(database.db, OUTBOX_CHANNEL) : undefined,
    ),
    authenticator: idp.authenticator(),
  });
  const token = await idp.token({ expiresIn: '1h' });
  let n = 0;
  const body = JSON.stringify(ordningsnotifikation());
  try {
    const result = await autocannon({
      url: `${intake.baseUrl}${ORDNINGS_PATH}`,
      connections: 32,
      duration: 8,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => ({
            ...request,
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'x-requestId': `tp-${notify ? 'n' : 'p'}-${n++}`,
            },
            body,
          }),
        },
      ],
    });
    return result['2xx'] / 8;
  } finally {
    await intake.close();
    await database.drop();
  }
}

async function claimTiming(pending: number): Promise<{ medianMs: number; plan: string }> {
  const database = await databaseWithBacklog('wsb_bench_claim', {
    count: pending,
    entities: pending / 10,
    exchange: 'bench',
    payloadBytes: 300,
    prefix: 'claim',
  });
  try {
    const store = new KyselyRelayStore(database.db);
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      const batch = await store.claim(BATCH);
      times.push(performance.now() - started);
      if (batch.messages.length !== BATCH) throw new Error(`claimed ${batch.messages.length}`);
      await batch.release();
    }
    times.sort((a, b) => a - b);
    const explained = await sql<{ 'QUERY PLAN': string }>`
      explain (analyze, costs off, timing on)
      ${walkStatement({ limit: BATCH, probeMore: false, held: [] })}`.execute(database.db);
    const plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n      ');
    return { medianMs: percentile(times, 50), plan };
  } finally {
    await database.drop();
  }
}

async function benchClaim(): Promise<void> {
  const big = Number(process.env.BENCH_CLAIM_BIG_ROWS ?? 1_000_000);
  log(`\n== 3. claim query (${BATCH} rows, FOR UPDATE SKIP LOCKED + per-entity NOT EXISTS), median of 25`);
  const small = await claimTiming(10_000);
  log(`   10 000 pending: ${small.medianMs.toFixed(2)} ms\n      ${small.plan}`);
  const large = await claimTiming(big);
  log(`   ${big} pending: ${large.medianMs.toFixed(2)} ms\n      ${large.plan}`);
  log(
    `   RESULT claim: ${small.medianMs.toFixed(2)} ms (10k) vs ${large.medianMs.toFixed(2)} ms (${big}) = ${(large.medianMs / small.medianMs).toFixed(2)}× (target ≤ 2×)`,
  );
}

/**
 * The issue's drain workloads, `rows×entities` comma-separated in BENCH_DRAINS: uniform (one row
 * per entity), after an outage (1 000 entities × 50) and one entity's burst.
 */
export function drainWorkloads(): Array<{ rows: number; entities: number }> {
  return (process.env.BENCH_DRAINS ?? '100000x100000,50000x1000,5000x1').split(',').map((w) => {
    const [rows, entities] = w.split('x').map(Number);
    return { rows: rows ?? 0, entities: entities ?? 1 };
  });
}

/** Relay settings from the bench's environment (e.g. RELAY_CHAIN_LENGTH=1 for the relay without chains). */
export function relayEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['RELAY_CHAIN_LENGTH', 'RELAY_CLAIM_MAX_ROWS']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * An empty claim's cost: `pending` rows over `entities` entities, every entity's oldest row held
 * by an open claim (its message in flight), so nothing is eligible. Timed from the relay that
 * holds them and from a second relay.
 */
export async function measureEmptyClaim(
  pending = 100_000,
  entities = 1_000,
): Promise<{ ownMs: number; otherMs: number }> {
  log(
    `\n== 3b. empty claim: ${pending} pending rows over ${entities} entities, every entity's head in flight, median of 25`,
  );
  const database = await databaseWithBacklog('wsb_bench_empty_claim', {
    count: pending,
    entities,
    exchange: 'bench',
    payloadBytes: 300,
    prefix: 'empty',
  });
  try {
    const own = new KyselyRelayStore(database.db);
    const other = new KyselyRelayStore(database.db);
    const held = await own.claim(entities);
    if (held.messages.length !== entities) throw new Error(`held ${held.messages.length}`);
    const time = async (store: KyselyRelayStore) => {
      const times: number[] = [];
      for (let i = 0; i < 25; i++) {
        const started = performance.now();
        const batch = await store.claim(BATCH, { perEntity: 128, rows: 4000 });
        times.push(performance.now() - started);
        if (batch.messages.length !== 0) throw new Error(`claimed ${batch.messages.length}`);
        await batch.release();
      }
      return percentile(
        times.sort((a, b) => a - b),
        50,
      );
    };
    const ownMs = await time(own);
    const otherMs = await time(other);
    await held.release();
    log(
      `   RESULT empty claim: ${ownMs.toFixed(2)} ms (the relay holding the heads), ${otherMs.toFixed(2)} ms (another relay) (target ≤ 2 ms)`,
    );
    return { ownMs, otherMs };
  } finally {
    await database.drop();
  }
}

export interface RecoveryFigures {
  backlog: number;
  entities: number;
  intakeRate: number;
  /** Seconds from the relay's start until the oldest pending row is younger than 1 s. */
  recoverySeconds: number;
  rawMessagesPerSecond: number;
  /** recoverySeconds ÷ (backlog ÷ raw rate): how much longer than raw publishing of the backlog alone. */
  normalised: number;
  accepted: number;
  failed: number;
  relayCpuSeconds: number;
  serveCpuSeconds: number;
  postgresCpuSeconds: number;
  /** End-to-end latency afterwards, on the drained table, by request rate: p50 and p99 in ms. */
  latencyAfter: Array<{
    rate: number;
    p50: number;
    p99: number;
    max: number;
    count: number;
    /** Seconds of the phase in which an autovacuum worker was busy on the database. */
    autovacuumSeconds: number;
  }>;
}

/**
 * HTTP 200 → consumer receipt of each message, ms, sorted. Requests are named `<prefix>-<i>`, sent
 * at `rate` from `started`; those of the first second (i < rate) warm up JIT, pools and connections
 * and are reported apart. `slow` lists the counted ones over 50 ms (index@sent-offset:latency).
 */
function latencyOf(
  consumer: TestConsumer,
  okAt: ReadonlyMap<string, number>,
  rate: number,
  started: number,
): { latencies: number[]; warmUp: number[]; slow: string[] } {
  const latencies: number[] = [];
  const warmUp: number[] = [];
  const slow: string[] = [];
  consumer.messages.forEach((m, i) => {
    const id = m.properties.correlationId as string;
    const sent = okAt.get(id);
    const received = consumer.receivedAt[i];
    if (sent === undefined || received === undefined) return;
    const index = Number(id.split('-').at(-1));
    if (index < rate) warmUp.push(received - sent);
    else latencies.push(received - sent);
    if (received - sent > 50 && index >= rate)
      slow.push(`${index}@${(sent - started).toFixed(0)}ms:${(received - sent).toFixed(0)}`);
  });
  warmUp.sort((x, y) => x - y);
  latencies.sort((x, y) => x - y);
  return { latencies, warmUp, slow };
}

/**
 * Posts one request every 1/rate s, each its own new entity, until `until()` says stop; records
 * when each request got its 200. Never waits for an answer before sending the next.
 */
async function postPaced(options: {
  baseUrl: string;
  token: string;
  rate: number;
  prefix: string;
  jobCenterKode?: string;
  /** Stop before sending another; `sent` is how many were sent so far. */
  until: (sent: number) => boolean;
}): Promise<{ okAt: Map<string, number>; failed: number; statuses: Record<string, number> }> {
  const okAt = new Map<string, number>();
  const statuses: Record<string, number> = {};
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; !options.until(i); i++) {
    const wait = started + (i * 1000) / options.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const requestId = `${options.prefix}-${i}`;
    const body = ordningsnotifikation({
      eksternIdentifier: crypto.randomUUID(),
      ...(options.jobCenterKode === undefined ? {} : { jobCenterKode: options.jobCenterKode }),
    });
    const sent: Promise<void> = fetch(`${options.baseUrl}${ORDNINGS_PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token}`,
        'x-requestId': requestId,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        if (response.status === 200) okAt.set(requestId, performance.now());
        else {
          failed++;
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        }
      },
      (error: unknown) => {
        failed++;
        const cause =
          error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        statuses[`error: ${cause}`] = (statuses[`error: ${cause}`] ?? 0) + 1;
      },
    );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }
  await Promise.all(inFlight);
  return { okAt, failed, statuses };
}

/**
 * Recovery after an outage: `backlog` pending ~1 KB rows over `entities` entities (as a broker
 * outage leaves them) drained by a `wsb-gateway relay` process while the
 * `wsb-gateway serve` process keeps taking `rate` requests/s, each its own new entity. Ends when the oldest pending
 * row — as the relay's backlog query and the wsb_outbox_oldest_pending_age_seconds gauge see it,
 * polled every 250 ms — is younger than 1 s. The reference is raw publishing of the backlog alone,
 * same run. Then, on that drained table (the backlog's rows delivered, not yet vacuumed, and the
 * backlog's messages still waiting in their queue), end-to-end latency at 200 and 500 req/s.
 */
export async function measureRecovery(
  idp: TestIdentityProvider,
  backlog = Number(process.env.BENCH_RECOVERY_ROWS ?? 100_000),
  entities = Number(process.env.BENCH_RECOVERY_ENTITIES ?? 2_000),
  rate = Number(process.env.BENCH_RECOVERY_RATE ?? 300),
): Promise<RecoveryFigures> {
  log(
    `\n== 4. recovery: ${backlog} pending rows over ${entities} entities drained while the intake takes ${rate} req/s`,
  );
  const exchange = uniqueName('wsb.bench.recovery');
  const queue = uniqueName('wsb.bench.recovery.q');
  const latencyQueue = uniqueName('wsb.bench.recovery.latency');
  const database = await databaseWithBacklog('wsb_bench_recovery', {
    count: backlog,
    entities,
    exchange,
    payloadBytes: 1024,
    prefix: 'recovery',
  });
  try {
    await freshQueue(exchange, queue);
    const raw = await rawPublish(exchange, await pendingMessages(database), WINDOW);
    log(`   raw amqplib confirm channel, the backlog alone: ${raw.toFixed(0)} msg/s`);
    await freshQueue(exchange, queue);

    // `wsb-gateway serve` and `wsb-gateway relay` as their own processes, with production's
    // defaults (NOTIFY after each intake batch, LISTEN in the relay); this process only sends the
    // load and consumes. (With intake and relay in this process too, its event loop was the
    // bottleneck: connection resets at 300 req/s.)
    const serve = await startServe(database.url, idp, { env: { AMQP_EXCHANGE: exchange } });
    const baseUrl = `http://127.0.0.1:${serve.port}`;
    const token = await idp.token({ expiresIn: '1h' });
    const relay = await startRelayProcess(database.url, exchange, 'info', relayEnv());
    const pids = { relay: relay.child.pid, serve: serve.child.pid };
    const cpuBefore = { relay: cpuSecondsOf(pids.relay), serve: cpuSecondsOf(pids.serve) };
    const pgMeter = postgresCpuMeter();
    const started = performance.now();
    let recoverySeconds = NaN;
    let recovered = false;
    const latencyAfter: RecoveryFigures['latencyAfter'] = [];
    let intakeFigures: Awaited<ReturnType<typeof postPaced>> = { okAt: new Map(), failed: 0, statuses: {} };
    let relayCpu = NaN;
    let serveCpu = NaN;
    let pgCpu = NaN;
    try {
      const sending = postPaced({
        baseUrl,
        token,
        rate,
        prefix: 'rec',
        until: () => recovered,
      });
      const timeout = started + 900_000;
      while (performance.now() < timeout) {
        await new Promise((r) => setTimeout(r, 250));
        const { oldestPendingAgeMs } = await pendingBacklog(database.db);
        if (oldestPendingAgeMs < 1000) {
          recoverySeconds = (performance.now() - started) / 1000;
          break;
        }
      }
      recovered = true;
      intakeFigures = await sending;
      relayCpu = cpuSecondsOf(pids.relay) - cpuBefore.relay;
      serveCpu = cpuSecondsOf(pids.serve) - cpuBefore.serve;
      pgCpu = pgMeter();

      if (process.env.BENCH_RECOVERY_PURGE === '1') {
        await withChannel(async (channel) => void (await channel.purgeQueue(queue)));
        log(`   RESULT (BENCH_RECOVERY_PURGE=1: the backlog's queue purged before the latency phases)`);
      }
      if (process.env.BENCH_RECOVERY_VACUUM === '1') {
        const v = performance.now();
        await sql`vacuum outbox, outbox_pending, outbox_delivery`.execute(database.db);
        log(
          `   RESULT (BENCH_RECOVERY_VACUUM=1: vacuum outbox took ${((performance.now() - v) / 1000).toFixed(1)} s)`,
        );
      }
      // Latency on the table the drain left behind: our own queue, bound to our own jobcenter code.
      const jobCenterKode = String(90000 + Math.floor(Math.random() * 9999));
      await withChannel(async (channel) => {
        await channel.assertQueue(latencyQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
        await channel.bindQueue(latencyQueue, exchange, `ordningsnotifikation.${jobCenterKode}`);
      });
      const seconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
      for (const latencyRate of [200, 500]) {
        const consumer = await TestConsumer.start(latencyQueue);
        // Whether autovacuum works on this database meanwhile (it does, after a drain that left
        // ~100 000 dead row versions): sampled once a second, reported with the figures.
        let vacuumSeconds = 0;
        const sampler = setInterval(() => {
          void sql<{ n: string }>`select count(*) as n from pg_stat_activity
                where backend_type = 'autovacuum worker' and datname = current_database()`
            .execute(database.db)
            .then(({ rows }) => void (vacuumSeconds += Number(rows[0]?.n ?? 0) > 0 ? 1 : 0))
            .catch(() => undefined);
        }, 1000);
        try {
          const phaseStart = performance.now();
          const { okAt } = await postPaced({
            baseUrl,
            token,
            rate: latencyRate,
            prefix: `after-${latencyRate}`,
            jobCenterKode,
            until: () => performance.now() - phaseStart > seconds * 1000,
          });
          await consumer.waitFor(okAt.size, 60_000);
          const { latencies } = latencyOf(consumer, okAt, latencyRate, phaseStart);
          latencyAfter.push({
            rate: latencyRate,
            p50: percentile(latencies, 50),
            p99: percentile(latencies, 99),
            max: latencies.at(-1) ?? NaN,
            count: latencies.length,
            autovacuumSeconds: vacuumSeconds,
          });
        } finally {
          clearInterval(sampler);
          await consumer.close();
        }
      }
    } finally {
      recovered = true;
      await relay.stop();
      serve.child.kill('SIGTERM');
      await new Promise((resolve) => serve.child.once('exit', resolve));
    }
    const normalised = recoverySeconds / (backlog / raw);
    const delivered = await sql<{
      n: string;
    }>`select count(*) as n from outbox_delivery`.execute(database.db);
    log(
      `   RESULT recovery: oldest pending younger than 1 s after ${recoverySeconds.toFixed(1)} s; backlog ÷ raw = ${(backlog / raw).toFixed(1)} s; ` +
        `ratio ${normalised.toFixed(2)} (goal ≤ 1.5); intake meanwhile ${intakeFigures.okAt.size} × 200, ${intakeFigures.failed} other ${JSON.stringify(intakeFigures.statuses)}; ` +
        `CPU relay ${relayCpu.toFixed(1)} s, serve ${serveCpu.toFixed(1)} s, PostgreSQL (all) ${pgCpu.toFixed(1)} s`,
    );
    for (const l of latencyAfter)
      log(
        `   RESULT latency after the drain (${delivered.rows[0]?.n} delivered rows, not vacuumed; backlog waiting in its queue), ${l.rate} req/s: ` +
          `${l.count} messages, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms (goal p99 ≤ 20 ms); autovacuum busy ${l.autovacuumSeconds} s of it`,
      );
    return {
      backlog,
      entities,
      intakeRate: rate,
      recoverySeconds,
      rawMessagesPerSecond: raw,
      normalised,
      accepted: intakeFigures.okAt.size,
      failed: intakeFigures.failed,
      relayCpuSeconds: relayCpu,
      serveCpuSeconds: serveCpu,
      postgresCpuSeconds: pgCpu,
      latencyAfter,
    };
  } finally {
    await deleteTopology(exchange, [queue, latencyQueue]).catch(() => undefined);
    await database.drop();
  }
}

async function main(): Promise<void> {
  log(`relay benchmark — ${new Date().toISOString()} (shared, noisy machine: compare figures of one run)`);
  if (!skip.has('1')) {
    for (const { rows, entities } of drainWorkloads()) {
      await measureDrain(
        rows,
        process.env.BENCH_RELAY === 'process' ? 'process' : 'in-process',
        entities,
        relayEnv(),
      );
    }
  }
  if (!skip.has('2')) {
    const idp = await TestIdentityProvider.create();
    log(`\n== 2. end-to-end latency, HTTP 200 → consumer receipt, 500 req/s (each request its own entity)`);
    await measureLatency('notify', idp);
    await measureLatency('poll', idp);
    log(`   intake throughput, autocannon 32 connections, 8 s (what the NOTIFY costs intake):`);
    const without = await benchIntakeThroughput(false, idp);
    const withNotify = await benchIntakeThroughput(true, idp);
    log(
      `   RESULT intake: ${without.toFixed(0)} req/s without NOTIFY, ${withNotify.toFixed(0)} req/s with one NOTIFY per batch = ${(withNotify / without).toFixed(2)}×`,
    );
  }
  if (!skip.has('3')) await benchClaim();
  if (!skip.has('3b')) await measureEmptyClaim();
  if (!skip.has('4')) await measureRecovery(await TestIdentityProvider.create());
}

if (require.main === module) {
  runBench(main);
}

/**
 * Part 4 of bench/relay.ts: recovery after an outage, a backlog drained by a relay process while a
 * serve process takes steady intake, then latency on the table the drain left.
 */
import { sql } from 'kysely';
import { pendingBacklog } from '../../test/support/outbox-rows';
import {
  deleteTopology,
  freshQueue,
  TestConsumer,
  uniqueName,
  withChannel,
} from '../../test/support/rabbitmq';
import type { TestIdentityProvider } from '../../test/support/tokens';
import { startServe } from '../intake';
import { databaseWithBacklog, pendingMessages, rawPublish } from '../support/backlog';
import { cpuSecondsOf, postgresCpuMeter } from '../support/cpu';
import { log, percentile } from '../support/figures';
import { latencyOf, postPaced } from '../support/paced-load';
import { relayEnv, startRelayProcess, WINDOW } from '../support/relay-process';

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
  /** Rates of the latency phases on the drained table (none: `npm run bench` measures them in bench/relay/end-to-end.ts). */
  latencyRates: readonly number[] = [200, 500],
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
    const { messagesPerSecond: raw } = await rawPublish(exchange, await pendingMessages(database), WINDOW);
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
      await freshQueue(exchange, latencyQueue, `ordningsnotifikation.${jobCenterKode}`);
      const seconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
      for (const latencyRate of latencyRates) {
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

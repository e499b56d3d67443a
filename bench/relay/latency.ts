/**
 * Part 2 of bench/relay.ts: end-to-end latency, HTTP 200 → consumer receipt, with the NOTIFY
 * wake-up and with polling only, and what the NOTIFY costs intake throughput.
 */
import autocannon from 'autocannon';
import pino from 'pino';
import { GroupCommitUnitOfWork } from '../../src/adapters/postgres/group-commit-unit-of-work';
import { notifyRelayAfterCommit } from '../../src/adapters/postgres/notify-relay-after-commit';
import { OUTBOX_CHANNEL, PgListenWakeUp } from '../../src/adapters/postgres/pg-listen-wake-up';
import type { OutboxWakeUp } from '../../src/application/relay/ports';
import { ordningsnotifikation } from '../../test/support/fixtures';
import { ORDNINGS_PATH, startIntake } from '../../test/support/intake';
import { createTestDatabase } from '../../test/support/postgres';
import { freshQueue, TestConsumer, uniqueName, withChannel } from '../../test/support/rabbitmq';
import { pollingWakeUp, startRelayInProcess } from '../../test/support/relay';
import type { TestIdentityProvider } from '../../test/support/tokens';
import { log, percentile } from '../support/figures';
import { latencyOf, postPaced } from '../support/paced-load';

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
  await freshQueue(exchange, queue, `ordningsnotifikation.${jobCenterKode}`);
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
export async function measureIntakeThroughput(notify: boolean, idp: TestIdentityProvider): Promise<number> {
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

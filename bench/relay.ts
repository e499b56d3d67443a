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
 * Prints figures only; asserts nothing. Each part is its own module in bench/relay/, what they share
 * is in bench/support/.
 */
import { TestIdentityProvider } from '../test/support/tokens';
import { measureClaim } from './relay/claim';
import { drainWorkloads, measureDrain } from './relay/drain';
import { measureEmptyClaim } from './relay/empty-claim';
import { measureIntakeThroughput, measureLatency } from './relay/latency';
import { measureRecovery } from './relay/recovery';
import { log } from './support/figures';
import { relayEnv } from './support/relay-process';
import { runBench } from './run-bench';

const skip = new Set((process.env.BENCH_SKIP ?? '').split(','));

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
    const without = await measureIntakeThroughput(false, idp);
    const withNotify = await measureIntakeThroughput(true, idp);
    log(
      `   RESULT intake: ${without.toFixed(0)} req/s without NOTIFY, ${withNotify.toFixed(0)} req/s with one NOTIFY per batch = ${(withNotify / without).toFixed(2)}×`,
    );
  }
  if (!skip.has('3')) await measureClaim();
  if (!skip.has('3b')) await measureEmptyClaim();
  if (!skip.has('4')) await measureRecovery(await TestIdentityProvider.create());
}

runBench(main);

/**
 * npm run bench:latency — end-to-end latency on the real route with its latency budget
 * (bench/relay/end-to-end.ts): 200 and 500 req/s on a fresh table and after a 100 000-message
 * drain. BENCH_LATENCY_SECONDS (15), BENCH_E2E_DRAIN_ROWS (100 000), BENCH_E2E_RATES (200,500).
 * Prints figures only; asserts nothing.
 */
import { TestIdentityProvider } from '../test/support/tokens';
import { measureEndToEnd } from './relay/end-to-end';
import { log } from './support/figures';
import { runBench } from './run-bench';
import os from 'node:os';

async function main(): Promise<void> {
  log(
    `latency budget — ${new Date().toISOString()}, node ${process.version}, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  const rates = (process.env.BENCH_E2E_RATES ?? '200,500').split(',').map(Number);
  await measureEndToEnd(await TestIdentityProvider.create(), { rates });
  log(`load average at the end ${os.loadavg()[0]?.toFixed(2)}`);
}

runBench(main);

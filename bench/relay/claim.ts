/** Part 3 of bench/relay.ts: a claim's time with 10 000 against 1 000 000 pending rows, and the walk's plan. */
import { sql } from 'kysely';
import { KyselyRelayStore } from '../../src/adapters/postgres/kysely-relay-store';
import { walkStatement } from '../../src/adapters/postgres/sql/claim';
import { databaseWithBacklog } from '../support/backlog';
import { log, percentile } from '../support/figures';
import { BATCH } from '../support/relay-process';

export async function claimTiming(pending: number): Promise<{ medianMs: number; plan: string }> {
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

export async function measureClaim(): Promise<void> {
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

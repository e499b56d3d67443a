/**
 * npx tsx bench/claim-probe.ts — what the chains' has_more probe costs a claim when every entity has
 * one message (the uniform drain): claims of 500 out of 30 000 uniform rows, without and with chain
 * limits, alternating, each released; medians of 40. Prints figures only.
 */
import { sql } from 'kysely';
import { KyselyRelayStore } from '../src/adapters/postgres/kysely-relay-store';
import { insertPendingRows } from '../test/support/outbox-rows';
import { createTestDatabase } from '../test/support/postgres';
import { runBench } from './run-bench';

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_claim_probe');
  try {
    await insertPendingRows(database.db, {
      count: 30_000,
      entities: 30_000,
      exchange: 'bench',
      payloadBytes: 1000,
      prefix: 'probe',
    });
    await sql`vacuum analyze outbox, outbox_pending`.execute(database.db);
    const store = new KyselyRelayStore(database.db);
    const time = async (chain: boolean): Promise<number> => {
      const started = performance.now();
      const batch = await store.claim(500, chain ? { perEntity: 128, rows: 4000 } : undefined);
      const ms = performance.now() - started;
      if (batch.messages.length !== 500) throw new Error(`claimed ${batch.messages.length}`);
      await batch.release();
      return ms;
    };
    const without: number[] = [];
    const withChain: number[] = [];
    for (let i = 0; i < 40; i++) {
      without.push(await time(false));
      withChain.push(await time(true));
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[20] ?? NaN;
    process.stdout.write(
      `claim of 500 out of 30 000 uniform rows, median of 40 alternating: without chain limits ${median(without).toFixed(2)} ms, with (has_more probe) ${median(withChain).toFixed(2)} ms\n`,
    );
  } finally {
    await database.drop();
  }
}

runBench(main);

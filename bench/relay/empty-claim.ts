/** Part 3b of bench/relay.ts: an empty claim while every entity's head is in flight. */
import type { ClaimedBatch } from '../../src/application/relay/ports';
import { KyselyRelayStore } from '../../src/adapters/postgres/kysely-relay-store';
import type { TestDatabase } from '../../test/support/postgres';
import { databaseWithBacklog } from '../support/backlog';
import { log, percentile } from '../support/figures';
import { BATCH } from '../support/relay-process';

/**
 * The empty claim's state: `pending` rows over `entities` entities (300-byte payloads), every
 * entity's oldest row held by one open claim of the store `own`. The caller releases `held` and drops
 * the database.
 */
export async function headsInFlight(
  name: string,
  pending: number,
  entities: number,
): Promise<{ database: TestDatabase; own: KyselyRelayStore; held: ClaimedBatch }> {
  const database = await databaseWithBacklog(name, {
    count: pending,
    entities,
    exchange: 'bench',
    payloadBytes: 300,
    prefix: name,
  });
  try {
    const own = new KyselyRelayStore(database.db);
    const held = await own.claim(entities);
    if (held.messages.length !== entities) throw new Error(`held ${held.messages.length}`);
    return { database, own, held };
  } catch (error) {
    await database.drop();
    throw error;
  }
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
  const { database, own, held } = await headsInFlight('wsb_bench_empty_claim', pending, entities);
  try {
    const other = new KyselyRelayStore(database.db);
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

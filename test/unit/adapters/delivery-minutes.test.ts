import { expect } from 'chai';
import { DeliveryMinutes } from '../../../src/adapters/postgres/delivery-minutes';
import type { DeliveryMinute } from '../../../src/application/operations/ports';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

/** A delivery log and the query over it that deliveriesPerMinute runs, recording each range asked. */
class Deliveries {
  readonly at: number[] = [];
  readonly asked: Array<[number, number | undefined]> = [];
  query = (since: Date, before?: Date): Promise<DeliveryMinute[]> => {
    this.asked.push([since.getTime(), before?.getTime()]);
    const counts = new Map<number, number>();
    for (const t of this.at) {
      if (t < since.getTime() || (before !== undefined && t >= before.getTime())) continue;
      const minute = Math.floor(t / MINUTE) * MINUTE;
      counts.set(minute, (counts.get(minute) ?? 0) + 1);
    }
    return Promise.resolve(
      [...counts.entries()]
        .sort(([a], [b]) => a - b)
        .map(([minute, delivered]) => ({
          minute: new Date(minute),
          delivered,
          delayP50Seconds: 1,
          delayP95Seconds: 1,
        })),
    );
  };
}

const counts = (minutes: readonly DeliveryMinute[]) =>
  minutes.map((m) => [(m.minute.getTime() - T0) / MINUTE, m.delivered]);

describe('adapters/postgres/DeliveryMinutes: the final minutes of deliveriesPerMinute, kept', () => {
  it('reads a minute once it can no longer change, and every later question only what came since', async () => {
    const log = new Deliveries();
    for (const minute of [0, 0, 5, 30, 58, 59]) log.at.push(T0 + minute * MINUTE + 1000);
    const cache = new DeliveryMinutes(10 * MINUTE);
    const now = new Date(T0 + 60 * MINUTE);
    expect(counts(await cache.since(new Date(T0), now, log.query))).to.deep.equal([
      [0, 2],
      [5, 1],
      [30, 1],
      [58, 1],
      [59, 1],
    ]);
    expect(log.asked).to.deep.equal([[T0, undefined]]);

    // Two minutes on: a delivery in the last minutes, and one the relay's transaction had held back
    // into a minute that was not final yet.
    log.at.push(T0 + 61 * MINUTE, T0 + 52 * MINUTE + 5);
    const later = new Date(T0 + 62 * MINUTE);
    const second = await cache.since(new Date(T0 + 30 * MINUTE + 500), later, log.query);
    expect(counts(second)).to.deep.equal([
      [30, 1],
      [52, 1],
      [58, 1],
      [59, 1],
      [61, 1],
    ]);
    // The rest of the partial first minute, and from the end of what was final at the first question.
    expect(log.asked.slice(1)).to.deep.equal([
      [T0 + 30 * MINUTE + 500, T0 + 31 * MINUTE],
      [T0 + 50 * MINUTE, undefined],
    ]);
    expect(counts(second)).to.deep.equal(counts(await log.query(new Date(T0 + 30 * MINUTE + 500))));
  });

  it('asks for everything again for a window that starts before what it holds, or after it', async () => {
    const log = new Deliveries();
    log.at.push(T0 + 20 * MINUTE, T0 + 40 * MINUTE);
    const cache = new DeliveryMinutes(10 * MINUTE);
    const now = new Date(T0 + 60 * MINUTE);
    await cache.since(new Date(T0 + 30 * MINUTE), now, log.query);
    expect(counts(await cache.since(new Date(T0), now, log.query))).to.deep.equal([
      [20, 1],
      [40, 1],
    ]);
    await cache.since(new Date(T0 + 55 * MINUTE), now, log.query);
    expect(log.asked.map(([since, before]) => [(since - T0) / MINUTE, before])).to.deep.equal([
      [30, undefined],
      [0, undefined],
      [55, undefined],
    ]);
  });
});

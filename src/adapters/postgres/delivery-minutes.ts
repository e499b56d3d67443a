import type { DeliveryMinute } from '../../application/operations/ports';

const MINUTE = 60_000;

/**
 * The minutes of deliveriesPerMinute that can no longer change, so that the console's overview,
 * asking for the last hours every few seconds, reads only the minutes since its last question
 * (each delivery in the window costs a look-up of its outbox row). A delivery's delivered_at is the
 * start of the relay's settling transaction, which commits at most RELAY_CONFIRM_TIMEOUT_MS later
 * (30 s by default): a minute that ended `settleMs` ago is final. The cache holds one contiguous run
 * of final minutes [from, to), empty minutes included (as absent entries), at most `keepMs` long.
 */
export class DeliveryMinutes {
  private from = 0;
  private to = 0;
  private readonly minutes = new Map<number, DeliveryMinute>();

  constructor(
    private readonly settleMs = 10 * MINUTE,
    private readonly keepMs = 7 * 24 * 60 * MINUTE,
  ) {}

  /**
   * The minutes since `since`: from the cache where it has them, from `query(since, before?)` for
   * the rest, which it then keeps where final.
   */
  async since(
    since: Date,
    now: Date,
    query: (since: Date, before?: Date) => Promise<DeliveryMinute[]>,
  ): Promise<DeliveryMinute[]> {
    // The cache holds whole minutes: a `since` inside a minute reads that minute's rest itself.
    const firstWhole = Math.ceil(since.getTime() / MINUTE) * MINUTE;
    const final = Math.floor((now.getTime() - this.settleMs) / MINUTE) * MINUTE;
    if (this.to <= this.from || firstWhole < this.from || firstWhole > this.to) {
      const all = await query(since);
      this.replace(firstWhole, Math.max(firstWhole, final), all);
      return all;
    }
    const head = firstWhole > since.getTime() ? await query(since, new Date(firstWhole)) : [];
    const tail = await query(new Date(this.to));
    const cached = [...this.minutes.values()].filter((m) => m.minute.getTime() >= firstWhole);
    this.extend(Math.max(this.to, final), tail);
    return [...head, ...cached.sort((a, b) => a.minute.getTime() - b.minute.getTime()), ...tail];
  }

  private replace(from: number, to: number, minutes: readonly DeliveryMinute[]): void {
    this.minutes.clear();
    this.from = from;
    this.to = from;
    this.extend(to, minutes);
  }

  private extend(to: number, minutes: readonly DeliveryMinute[]): void {
    for (const m of minutes) {
      const t = m.minute.getTime();
      if (t >= this.to && t < to) this.minutes.set(t, m);
    }
    this.to = Math.max(this.to, to);
    const oldest = this.to - this.keepMs;
    if (this.from < oldest) {
      for (const t of this.minutes.keys()) if (t < oldest) this.minutes.delete(t);
      this.from = oldest;
    }
  }
}

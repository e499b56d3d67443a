import type {
  ChainLimits,
  ClaimedBatch,
  DeliveryFailure,
  MessagePublisher,
  OutboxRelayStore,
  OutboxWakeUp,
  PublishOutcome,
  RelayMessage,
} from '../../../src/application/relay/ports';

export interface InMemoryRelayRow {
  readonly message: RelayMessage;
  status: 'pending' | 'delivered' | 'parked';
  attempts: number;
  lastError: string | undefined;
  nextAttemptAt: Date;
  claimed: boolean;
}

/** The outbox table that several in-memory relay stores share, as relays share the database. */
interface InMemoryOutboxTable {
  readonly rows: InMemoryRelayRow[];
  nextSeq: number;
}

/**
 * The outbox as the relay sees it, in memory: the same claim rule as the PostgreSQL store (a row
 * is claimable only when due, unclaimed, and no older row of its entity is undelivered).
 */
export class InMemoryRelayStore implements OutboxRelayStore {
  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly table: InMemoryOutboxTable = { rows: [], nextSeq: 1 },
  ) {}

  /** The rows of the shared table, in seq order. */
  get rows(): InMemoryRelayRow[] {
    return this.table.rows;
  }

  /** Another relay's store over the same rows, as a second relay process over one database. */
  otherRelay(): InMemoryRelayStore {
    return new InMemoryRelayStore(this.now, this.table);
  }

  add(message: Omit<RelayMessage, 'seq' | 'attempts'>): RelayMessage {
    const full: RelayMessage = { ...message, seq: String(this.table.nextSeq++), attempts: 0 };
    this.rows.push({
      message: full,
      status: 'pending',
      attempts: 0,
      lastError: undefined,
      nextAttemptAt: new Date(0),
      claimed: false,
    });
    return full;
  }

  row(seq: string): InMemoryRelayRow {
    const row = this.rows.find((r) => r.message.seq === seq);
    if (row === undefined) throw new Error(`no row ${seq}`);
    return row;
  }

  claim(limit: number, chain?: ChainLimits): Promise<ClaimedBatch> {
    const now = this.now().getTime();
    const eligible = (row: InMemoryRelayRow) =>
      row.status === 'pending' && !row.claimed && row.nextAttemptAt.getTime() <= now;
    const oldest = new Map<string, InMemoryRelayRow>();
    for (const row of this.rows) {
      const entity = row.message.eksternIdentifier;
      if (row.status !== 'delivered' && !oldest.has(entity)) oldest.set(entity, row);
    }
    const heads = [...oldest.values()]
      .filter(eligible)
      .sort(
        (a, b) =>
          a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() ||
          Number(a.message.seq) - Number(b.message.seq),
      )
      .slice(0, limit);
    const perEntity =
      chain === undefined || heads.length === 0
        ? 1
        : Math.min(chain.perEntity, Math.max(1, Math.floor(chain.rows / heads.length)));
    const claimed: InMemoryRelayRow[] = [];
    for (const head of heads) {
      claimed.push(head);
      const later = this.rows.filter(
        (r) =>
          r.message.eksternIdentifier === head.message.eksternIdentifier &&
          r.status !== 'delivered' &&
          Number(r.message.seq) > Number(head.message.seq),
      );
      for (const row of later.slice(0, perEntity - 1)) {
        if (!eligible(row)) break;
        claimed.push(row);
      }
    }
    for (const row of claimed) row.claimed = true;
    const dueRowsLeft = this.rows.some(
      (r) => r.status === 'pending' && !r.claimed && r.nextAttemptAt.getTime() <= now,
    );
    let open = true;
    const end = () => {
      if (!open) throw new Error('claim already ended');
      open = false;
      for (const row of claimed) row.claimed = false;
    };
    return Promise.resolve({
      messages: claimed.map((r) => ({ ...r.message, attempts: r.attempts })),
      dueRowsLeft,
      settle: (delivered: readonly string[], failed: readonly DeliveryFailure[]) => {
        end();
        for (const seq of delivered) this.row(seq).status = 'delivered';
        for (const f of failed) {
          const row = this.row(f.seq);
          row.lastError = `${f.reason}: ${f.detail}`;
          row.nextAttemptAt = f.nextAttemptAt;
          if (f.countsAsAttempt) row.attempts++;
        }
        return Promise.resolve();
      },
      release: () => {
        end();
        return Promise.resolve();
      },
    });
  }

  /** How many rows are pending (undelivered, not parked). */
  pendingCount(): number {
    return this.rows.filter((r) => r.status === 'pending').length;
  }
}

/**
 * A broker in memory: records what was published, in order, and answers each message with the
 * outcome `decide` gives (default: confirmed). `confirmDelayMs` keeps publishes in flight.
 */
export class InMemoryMessagePublisher implements MessagePublisher {
  readonly published: RelayMessage[] = [];
  readonly confirmed: RelayMessage[] = [];
  decide: (message: RelayMessage) => PublishOutcome = () => ({ ok: true });
  confirmDelayMs = 0;
  isReady = true;

  ready(signal: AbortSignal): Promise<boolean> {
    if (this.isReady || signal.aborted) return Promise.resolve(!signal.aborted);
    return new Promise((resolve) => {
      const check = setInterval(() => {
        if (this.isReady || signal.aborted) {
          clearInterval(check);
          resolve(!signal.aborted);
        }
      }, 1);
    });
  }

  async publish(messages: readonly RelayMessage[]): Promise<PublishOutcome[]> {
    this.published.push(...messages);
    const outcomes = messages.map((m) => this.decide(m));
    if (this.confirmDelayMs > 0) await new Promise((r) => setTimeout(r, this.confirmDelayMs));
    messages.forEach((m, i) => {
      if (outcomes[i]?.ok === true) this.confirmed.push(m);
    });
    return outcomes;
  }
}

/** A wake-up that only ever times out, unless `notify` is called. */
export class InMemoryWakeUp implements OutboxWakeUp {
  private waiters: Array<() => void> = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }
}

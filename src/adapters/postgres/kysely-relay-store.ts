import { type ControlledTransaction, type Kysely, sql } from 'kysely';
import type {
  ChainLimits,
  ClaimedBatch,
  DeliveryFailure,
  OutboxBacklog,
  OutboxRelayStore,
  RelayMessage,
} from '../../application/relay/ports';
import type { Aendringstype, MessageKind } from '../../domain/notification';
import type { Database } from './database';

interface ClaimedRow {
  seq: string;
  has_more?: boolean;
  message_id: string;
  request_id: string;
  message_type: string;
  ekstern_identifier: string;
  jobcenter_kode: string;
  aendringstype: string;
  received_at: Date;
  exchange: string;
  routing_key: string;
  body: string | null;
  attempts: number;
  traceparent: string | null;
  tracestate: string | null;
}

/**
 * The outbox as the relay sees it. A claim is a transaction holding row locks (`FOR UPDATE`) on
 * the claimed rows until it settles; settling marks the outcomes and commits in one go.
 *
 * Why per-entity order holds with any number of relays (and any number of batches per relay):
 *  1. A row R of entity E is claimed only if the claiming statement's snapshot holds no row of E
 *     with a smaller seq whose status is not 'delivered' (the NOT EXISTS below). That subquery is
 *     a plain read: it does not skip locked rows, so a row another relay has claimed (locked, still
 *     'pending' in every snapshot until that claim commits) blocks R like any other undelivered row.
 *  2. A row becomes 'delivered' only in the commit that ends its claim, and that commit happens
 *     only after the broker confirmed the routed message.
 *  3. So whenever R is claimed, every older row of E was confirmed by the broker before R's
 *     claiming statement began, and R is published after it: publish order per entity = seq order.
 *  4. Parked and backed-off rows are undelivered, so they block their entity (and only it).
 *  5. No cursor or high-water mark is kept: every claim looks at all pending rows, so a row whose
 *     inserting transaction commits late is simply found by the next claim, never skipped.
 *     (If a row of E with a smaller seq commits after a later row of E was already published,
 *     the two requests overlapped in time — neither had its 200 before the other was sent — so
 *     they have no acceptance order between them; the late row still goes out.)
 *  6. Two relays never hold the same row: `FOR UPDATE SKIP LOCKED` skips rows another claim holds,
 *     and a row locked, delivered and committed meanwhile fails the re-checked `status = 'pending'`.
 * A relay that dies loses its session; PostgreSQL rolls the claim back, the rows are pending and
 * unlocked again and go out once more under the same messageId (at-least-once).
 */
export class KyselyRelayStore implements OutboxRelayStore {
  /**
   * Seqs held by this store's open claims (chains included). A claim's index walk starts at the
   * oldest due rows, which are mostly this relay's own batches in flight; excluding them by seq
   * lets the walk pass them without probing their entity and trying (and skipping) their row
   * locks. Only an optimisation: SKIP LOCKED would skip them anyway, and the NOT EXISTS still sees
   * them as undelivered, so they block their entities' later rows exactly as before.
   */
  private readonly held = new Set<string>();

  constructor(private readonly db: Kysely<Database>) {}

  async claim(limit: number, chain?: ChainLimits): Promise<ClaimedBatch> {
    const trx = await this.db.startTransaction().execute();
    let messages: RelayMessage[];
    try {
      // Losing a 'delivered' mark in a database crash only means publishing that message again
      // under the same messageId (at-least-once), never losing it; so the claim's commit need not
      // wait for its WAL flush.
      await sql`set local synchronous_commit = off`.execute(trx);
      // Due pending rows in the order of outbox_pending_due (next_attempt_at, seq); rows waiting
      // out a backoff are not even visited. With chains, has_more says whether the entity has an
      // undelivered row behind this one (one probe of outbox_entity_seq, like the NOT EXISTS).
      const result = await sql<ClaimedRow>`
        select o.seq, o.message_id, o.request_id, o.message_type, o.ekstern_identifier,
               o.jobcenter_kode, o.aendringstype, o.received_at, o.exchange, o.routing_key,
               o.payload::text as body, o.attempts, o.traceparent, o.tracestate,
               ${
                 chain === undefined
                   ? sql`false`
                   : sql`exists (select 1 from outbox nxt
                        where nxt.ekstern_identifier = o.ekstern_identifier and nxt.seq > o.seq
                          and nxt.status <> 'delivered')`
               } as has_more
          from outbox o
         where o.status = 'pending'
           and o.next_attempt_at <= now()
           and o.seq <> all(${[...this.held]}::bigint[])
           and not exists (
                 select 1 from outbox older
                  where older.ekstern_identifier = o.ekstern_identifier
                    and older.seq < o.seq
                    and older.status <> 'delivered')
         order by o.next_attempt_at, o.seq
         limit ${limit}
           for update of o skip locked`.execute(trx);
      messages = result.rows.map(toRelayMessage);
      // Only entities with a row behind their head are worth the chain query (none, when every
      // entity has one message waiting: the uniform drain pays no extra round trip).
      const withMore = new Set(result.rows.filter((r) => r.has_more).map((r) => r.seq));
      const perEntity =
        chain === undefined || messages.length === 0
          ? 1
          : Math.min(chain.perEntity, Math.max(1, Math.floor(chain.rows / messages.length)));
      if (perEntity > 1 && withMore.size > 0)
        messages = await this.extendChains(trx, messages, withMore, perEntity - 1);
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      throw error;
    }
    if (messages.length === 0) {
      await trx.commit().execute();
      return EMPTY_BATCH;
    }
    for (const m of messages) this.held.add(m.seq);
    return new PostgresClaim(trx, messages, () => {
      for (const m of messages) this.held.delete(m.seq);
    });
  }

  /**
   * Locks and reads, for each claimed head, up to `more` of its entity's next undelivered rows,
   * and keeps the run of them that is pending, due and was not held by another claim: the first
   * row that is parked, backed off or locked ends its entity's chain (the rows after it stay for
   * a later claim, in order). The claimed head already blocks every later row of its entity in
   * every other claim, so these rows are this claim's to take; the lock only keeps operators'
   * commands off them until the claim ends.
   */
  private async extendChains(
    trx: ControlledTransaction<Database>,
    heads: readonly RelayMessage[],
    withMore: ReadonlySet<string>,
    more: number,
  ): Promise<RelayMessage[]> {
    const extend = heads.filter((m) => withMore.has(m.seq));
    const result = await sql<ClaimedRow & { head: string; position: string }>`
      select o.seq, o.message_id, o.request_id, o.message_type, o.ekstern_identifier,
             o.jobcenter_kode, o.aendringstype, o.received_at, o.exchange, o.routing_key,
             o.payload::text as body, o.attempts, o.traceparent, o.tracestate, h.seq as head, n.position
        from unnest(${extend.map((m) => m.eksternIdentifier)}::uuid[], ${extend.map((m) => m.seq)}::bigint[])
               as h(entity, seq)
        cross join lateral (
              select x.seq, row_number() over (order by x.seq) as position
                from outbox x
               where x.ekstern_identifier = h.entity and x.seq > h.seq and x.status <> 'delivered'
               order by x.seq
               limit ${more}) n
        join outbox o on o.seq = n.seq
       where o.status = 'pending' and o.next_attempt_at <= now()
       order by h.seq, n.position
         for update of o skip locked`.execute(trx);
    const chains = new Map<string, RelayMessage[]>();
    for (const row of result.rows) {
      let chain = chains.get(row.head);
      if (chain === undefined) chains.set(row.head, (chain = []));
      // A gap in the positions is a row that is not pending, not due or locked: the chain ends.
      if (Number(row.position) === chain.length + 1) chain.push(toRelayMessage(row));
    }
    return heads.flatMap((head) => [head, ...(chains.get(head.seq) ?? [])]);
  }

  async backlog(): Promise<OutboxBacklog> {
    const { rows } = await sql<{ pending: string; oldest: Date | null }>`
      select count(*) as pending, min(received_at) as oldest from outbox where status = 'pending'`.execute(
      this.db,
    );
    const row = rows[0];
    const oldest = row?.oldest ?? null;
    return {
      pending: Number(row?.pending ?? 0),
      oldestPendingAgeMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest.getTime()),
    };
  }
}

const EMPTY_BATCH: ClaimedBatch = {
  messages: [],
  settle: () => Promise.resolve(),
  release: () => Promise.resolve(),
};

class PostgresClaim implements ClaimedBatch {
  private open = true;

  constructor(
    private readonly trx: ControlledTransaction<Database>,
    readonly messages: readonly RelayMessage[],
    private readonly ended: () => void,
  ) {}

  async settle(delivered: readonly string[], failed: readonly DeliveryFailure[]): Promise<void> {
    this.end();
    try {
      if (delivered.length > 0) {
        await sql`
          update outbox set status = 'delivered', delivered_at = now()
           where seq = any(${delivered}::bigint[]) and status = 'pending'`.execute(this.trx);
      }
      if (failed.length > 0) {
        await sql`
          update outbox o
             set attempts = o.attempts + f.counts::int,
                 last_error = f.error,
                 next_attempt_at = f.next_attempt_at
            from unnest(${failed.map((f) => f.seq)}::bigint[], ${failed.map((f) => f.countsAsAttempt)}::boolean[],
                        ${failed.map(describeFailure)}::text[], ${failed.map((f) => f.nextAttemptAt.toISOString())}::timestamptz[])
                 as f(seq, counts, error, next_attempt_at)
           where o.seq = f.seq and o.status = 'pending'`.execute(this.trx);
      }
      await this.trx.commit().execute();
    } catch (error) {
      await this.trx
        .rollback()
        .execute()
        .catch(() => undefined);
      throw error;
    } finally {
      this.ended();
    }
  }

  async release(): Promise<void> {
    this.end();
    try {
      await this.trx.rollback().execute();
    } finally {
      this.ended();
    }
  }

  private end(): void {
    if (!this.open) throw new Error('this claim has already ended');
    this.open = false;
  }
}

/** What goes into last_error: the reason and the broker's or driver's words, never a payload. */
function describeFailure(failure: DeliveryFailure): string {
  return `${failure.reason}: ${failure.detail}`.slice(0, 500);
}

function toRelayMessage(row: ClaimedRow): RelayMessage {
  if (row.body === null) {
    // Redaction only touches delivered rows; a pending row without payload is a bug to surface.
    throw new Error(`outbox row ${row.seq} is pending but has no payload`);
  }
  return {
    seq: row.seq,
    messageId: row.message_id,
    requestId: row.request_id,
    kind: row.message_type as MessageKind,
    eksternIdentifier: row.ekstern_identifier,
    jobCenterKode: row.jobcenter_kode,
    aendringstype: row.aendringstype as Aendringstype,
    receivedAt: row.received_at,
    exchange: row.exchange,
    routingKey: row.routing_key,
    body: row.body,
    attempts: row.attempts,
    traceparent: row.traceparent ?? undefined,
    tracestate: row.tracestate ?? undefined,
  };
}

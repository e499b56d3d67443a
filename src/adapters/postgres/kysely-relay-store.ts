import { type ControlledTransaction, type Kysely, type RawBuilder, sql } from 'kysely';
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
 * The outbox as the relay sees it. Every undelivered message has a narrow row in outbox_pending
 * (migration 0005), inserted with the message; the relay claims from that table alone and reads
 * the message from outbox by seq. A claim is a transaction holding row locks (`FOR UPDATE`) on
 * the claimed outbox_pending rows until it settles; settling commits the outcomes in one go: a
 * delivered message's outbox_pending row is deleted and its outbox_delivery row inserted, a failed
 * one's attempts, last_error and next_attempt_at are updated. The outbox row is never written.
 *
 * A claim finds heads — each entity's oldest undelivered row — two ways, in one transaction:
 *  - the walk: the first 2 × limit due pending rows in outbox_pending_due order (oldest first),
 *    each probed for an older row of its entity in outbox_pending (NOT EXISTS). When entities
 *    have one row each, nearly every row it visits is a head, read in heap order: the uniform
 *    drain's path.
 *  - the skip scan, for what the walk did not find: it steps through
 *    `outbox_pending_by_entity (ekstern_identifier, seq)` with one index descent per entity that
 *    has undelivered rows, and the first entry it meets for an
 *    entity is that entity's head. Rows behind a head are never visited, so it costs one descent
 *    per entity whatever the entity's backlog (the walk alone, unbounded, cost 50–300 ms per claim
 *    with one entity's 5 000 rows waiting, and ~0.8 s for an empty claim over 100 000 rows).
 *    Heads the walk locked are excluded by seq (our own lock would not make SKIP LOCKED skip them).
 * After a claim whose heads mostly have rows behind them, the next claim skips the walk.
 *
 * Why per-entity order holds with any number of relays (and any number of batches per relay):
 *  1. A row R of entity E is claimed only if it is, in the claiming statement's snapshot, the
 *     undelivered row of E with the smallest seq: the walk's NOT EXISTS finds no older one, or the
 *     skip scan's first visible index entry for E is R. Both are plain reads: they do not skip
 *     locked rows, so a row another claim holds (locked, still in outbox_pending in every
 *     snapshot until that claim commits) is E's head and blocks every later row of E; SKIP LOCKED
 *     applies only to the candidate row itself.
 *  2. A row leaves outbox_pending (is delivered) only in the commit that ends its claim, and that
 *     commit happens only after the broker confirmed the routed message.
 *  3. So whenever R is claimed, every older row of E was confirmed by the broker before R's
 *     claiming statement began, and R is published after it: publish order per entity = seq order.
 *  4. Parked and backed-off heads are undelivered, so they block their entity (and only it): they
 *     fail the `not parked and next_attempt_at <= now()` test, and no later row of their
 *     entity passes point 1.
 *  5. No cursor or high-water mark decides what is eligible: every claim looks at the head of
 *     every entity it passes, so a row whose inserting transaction commits late is simply found by
 *     the next claim that passes its entity, never skipped. (If a row of E with a smaller seq
 *     commits after a later row of E was already published, the two requests overlapped in time —
 *     neither had its 200 before the other was sent — so they have no acceptance order between
 *     them; the late row still goes out.) Where a skip scan *starts* is a hint only: each store
 *     starts after the last entity its previous scan claimed and wraps around, so consecutive
 *     claims do not revisit the entities still in flight, and a scan that finds too little goes
 *     round to where it began.
 *  6. Two relays never hold the same row: `FOR UPDATE SKIP LOCKED` skips rows another claim holds,
 *     and a row locked, delivered and committed meanwhile is gone from outbox_pending when the lock
 *     re-reads it.
 * A relay that dies loses its session; PostgreSQL rolls the claim back, the rows are pending and
 * unlocked again and go out once more under the same messageId (at-least-once).
 */
export class KyselyRelayStore implements OutboxRelayStore {
  /** The entity this store's last skip scan ended on; the next one starts after it. */
  private resumeAfter: string | undefined;
  /**
   * Seqs held by this store's open claims (chains included). The walk starts at the oldest due
   * rows, which are mostly this relay's own batches in flight; excluding them by seq lets it pass
   * them without probing their entity and trying (and skipping) their locks. An optimisation
   * only: SKIP LOCKED would skip them anyway, and they still block their entities.
   */
  private readonly held = new Set<string>();
  /**
   * Whether the last claim found most of its heads with rows behind them (has_more): then the
   * walk would mostly visit rows that are not heads, and claims go straight to the skip scan.
   * Speed only: both find heads by the same rule.
   */
  private deep = false;
  /** Rows this store has delivered since it last started a vacuum of outbox_pending. */
  private deliveredSinceVacuum = 0;
  private vacuuming = false;

  constructor(private readonly db: Kysely<Database>) {}

  async claim(limit: number, chain?: ChainLimits): Promise<ClaimedBatch> {
    const trx = await this.db.startTransaction().execute();
    let messages: RelayMessage[];
    try {
      // Losing a 'delivered' mark in a database crash only means publishing that message again
      // under the same messageId (at-least-once), never losing it; so the claim's commit need not
      // wait for its WAL flush.
      await sql`set local synchronous_commit = off`.execute(trx);
      const probeMore = chain !== undefined;
      // First the walk, oldest due row first, over at most WALK_FACTOR × limit rows: when entities
      // have one row each, nearly every row it visits is a head, read in heap order. Then, for
      // what it did not find, the skip scan, which costs one descent per entity whatever the
      // entity's backlog.
      const walked = this.deep ? undefined : await this.walk(trx, limit, probeMore);
      const rows = walked?.rows ?? [];
      // A walk that saw every due row has tested every due head already: the skip scan would find
      // nothing more (a row committed since is found by the next claim, which its NOTIFY wakes).
      if (rows.length < limit && walked?.sawEveryDueRow !== true) {
        const taken = rows.map((r) => r.seq);
        const start = this.resumeAfter;
        const scanned = await this.skipScan(trx, limit - rows.length, probeMore, taken, { after: start });
        // Round to where the scan began when the entities after it did not fill the claim.
        if (rows.length + scanned.length < limit && start !== undefined)
          scanned.push(
            ...(await this.skipScan(trx, limit - rows.length - scanned.length, probeMore, taken, {
              upTo: start,
            })),
          );
        this.resumeAfter = scanned.at(-1)?.ekstern_identifier ?? start;
        rows.push(...scanned);
      }
      if (probeMore && rows.length > 0) this.deep = rows.filter((r) => r.has_more).length * 2 > rows.length;
      rows.sort((x, y) => (BigInt(x.seq) < BigInt(y.seq) ? -1 : 1));
      messages = rows.map(toRelayMessage);
      // Only entities with a row behind their head are worth the chain query (none, when every
      // entity has one message waiting: the uniform drain pays no extra round trip).
      const withMore = new Set(rows.filter((r) => r.has_more).map((r) => r.seq));
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
    return new PostgresClaim(
      trx,
      messages,
      () => {
        for (const m of messages) this.held.delete(m.seq);
      },
      (count) => this.delivered(count),
    );
  }

  /**
   * Every delivered row leaves a dead tuple in outbox_pending and dead entries at the front of its
   * two indexes, exactly where every claim starts reading; until a vacuum removes them, each claim
   * steps over them (measured by bench/drained-claim-probe.ts: an empty claim took 14 ms right
   * after a drain of 100 000 rows, 3 ms after a vacuum). Autovacuum comes only when its launcher
   * wakes (autovacuum_naptime, a minute by default), so after every VACUUM_AFTER_DELIVERIES rows
   * the store vacuums the narrow table itself, in the background: tens of milliseconds, no lock
   * that blocks a claim, an insert or a settle, and skipped while another relay's vacuum runs. A
   * failure (a role that does not own the table, say) changes nothing but speed: autovacuum
   * remains.
   */
  private delivered(count: number): void {
    this.deliveredSinceVacuum += count;
    if (this.deliveredSinceVacuum < VACUUM_AFTER_DELIVERIES || this.vacuuming) return;
    this.deliveredSinceVacuum = 0;
    this.vacuuming = true;
    void sql`vacuum (skip_locked) outbox_pending`
      .execute(this.db)
      .catch(() => undefined)
      .finally(() => {
        this.vacuuming = false;
      });
  }

  /**
   * Locks up to `limit` heads among the first WALK_FACTOR × limit due pending rows in the order of
   * outbox_pending_due (next_attempt_at, seq): a row is a head if its entity has no undelivered
   * row with a smaller seq (the NOT EXISTS, a plain read that does not skip locked rows). Says
   * whether it saw every due row (fewer than WALK_FACTOR × limit), this store's held rows aside.
   */
  private async walk(
    trx: ControlledTransaction<Database>,
    limit: number,
    probeMore: boolean,
  ): Promise<{ rows: ClaimedRow[]; sawEveryDueRow: boolean }> {
    const walkRows = WALK_FACTOR * limit;
    const result = await sql<(ClaimedRow & { due_rows: number }) | { seq: null; due_rows: number }>`
      with due as materialized (
        select seq from outbox_pending
         where not parked and next_attempt_at <= now()
           and seq <> all(${[...this.held]}::bigint[])
         order by next_attempt_at, seq
         limit ${walkRows}
      ),
      locked as (
        select p.seq, p.ekstern_identifier, p.attempts
          from outbox_pending p
         -- The due rows as an array looked up by primary key: joined as a subquery, the planner
         -- hashed it against a scan of the whole table (1.8 ms over a drained, unvacuumed one).
         where p.seq = any(array(select seq from due))
           and not p.parked
           and p.next_attempt_at <= now()
           and not exists (
                 select 1 from outbox_pending older
                  where older.ekstern_identifier = p.ekstern_identifier
                    and older.seq < p.seq)
         limit ${limit}
           for update of p skip locked
      ),
      found as (${lockedMessages(probeMore)})
      -- One row even when nothing was locked, to carry how many due rows the walk saw.
      select f.*, c.due_rows
        from (select count(*)::int as due_rows from due) c
        left join found f on true`.execute(trx);
    const rows = result.rows.filter((r): r is ClaimedRow & { due_rows: number } => r.seq !== null);
    return { rows, sawEveryDueRow: (result.rows[0]?.due_rows ?? 0) < walkRows };
  }

  /**
   * Locks the heads of up to `limit` entities, in `ekstern_identifier` order, after `after` or up
   * to and including `upTo`: the skip scan steps from entity to entity through
   * outbox_pending_by_entity, each step one descent (`> previous entity, limit 1`), and stops
   * as soon as `limit` heads are locked. An entity whose head is not pending and due (parked,
   * backed off) or is locked by another claim is passed over. With `probeMore`, has_more says
   * whether the entity has an undelivered row behind its head (one more probe of the same index).
   */
  private async skipScan(
    trx: ControlledTransaction<Database>,
    limit: number,
    probeMore: boolean,
    taken: readonly string[],
    range: { after?: string | undefined; upTo?: string | undefined },
  ): Promise<ClaimedRow[]> {
    const after = range.after ?? null;
    const upTo = range.upTo ?? null;
    const result = await sql<ClaimedRow>`
      with recursive heads(entity, seq) as (
          (select ekstern_identifier, seq from outbox_pending
            where (${after}::uuid is null or ekstern_identifier > ${after}::uuid)
              and (${upTo}::uuid is null or ekstern_identifier <= ${upTo}::uuid)
            order by ekstern_identifier, seq
            limit 1)
        union all
          select n.ekstern_identifier, n.seq
            from heads h
           cross join lateral (
                 select ekstern_identifier, seq from outbox_pending
                  where ekstern_identifier > h.entity
                    and (${upTo}::uuid is null or ekstern_identifier <= ${upTo}::uuid)
                  order by ekstern_identifier, seq
                  limit 1) n
      ),
      -- Lock first, then read the payload and probe has_more: computed beside the lock, they
      -- would be computed for every head the lock then skips. attempts comes from the locked row
      -- version (re-read if a concurrent commit changed it).
      locked as (
        select p.seq, p.ekstern_identifier, p.attempts
          from heads h
          join outbox_pending p on p.seq = h.seq
         where not p.parked
           and p.next_attempt_at <= now()
           -- Heads the walk of this claim locked: our own lock would not make SKIP LOCKED skip them.
           and p.seq <> all(${taken}::bigint[])
         limit ${limit}
           for update of p skip locked
      )
      ${lockedMessages(probeMore)}
       order by l.ekstern_identifier`.execute(trx);
    return result.rows;
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
      select ${MESSAGE_COLUMNS}, o.payload::text as body, h.seq as head, n.position
        from unnest(${extend.map((m) => m.eksternIdentifier)}::uuid[], ${extend.map((m) => m.seq)}::bigint[])
               as h(entity, seq)
        cross join lateral (
              select x.seq, row_number() over (order by x.seq) as position
                from outbox_pending x
               where x.ekstern_identifier = h.entity and x.seq > h.seq
               order by x.ekstern_identifier, x.seq
               limit ${more}) n
        join outbox_pending l on l.seq = n.seq
        join outbox o on o.seq = n.seq
       where not l.parked and l.next_attempt_at <= now()
       order by h.seq, n.position
         for update of l skip locked`.execute(trx);
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
      select count(*) as pending, min(received_at) as oldest from outbox_pending where not parked`.execute(
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

/**
 * A claimed row's columns as the relay reads them (ClaimedRow), all but the payload (`body`): the
 * message from outbox `o`, its attempts from the locked outbox_pending row `l`.
 */
const MESSAGE_COLUMNS = sql`o.seq, o.message_id, o.request_id, o.message_type, o.ekstern_identifier,
  o.jobcenter_kode, o.aendringstype, o.received_at, o.exchange, o.routing_key, l.attempts,
  o.traceparent, o.tracestate`;

/** Deliveries after which a store vacuums outbox_pending (see KyselyRelayStore.delivered). */
const VACUUM_AFTER_DELIVERIES = 10_000;

/**
 * The messages of the outbox_pending rows a claim's `locked` CTE holds (aliased `l`), with their
 * payload and, with `probeMore`, has_more: the walk and the skip scan end the same way.
 */
function lockedMessages(probeMore: boolean): RawBuilder<unknown> {
  return sql`
    select ${MESSAGE_COLUMNS}, o.payload::text as body,
           ${probeMore ? hasMore(sql`l`) : sql`false`} as has_more
      from locked l
      join outbox o on o.seq = l.seq`;
}

/** The walk visits at most this many due rows per head it may return. */
const WALK_FACTOR = 2;

/**
 * Whether the entity of the outbox_pending row aliased `row` has an undelivered row behind it:
 * the next entry of outbox_pending_by_entity, one descent.
 */
function hasMore(row: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`coalesce((select true from outbox_pending nxt
                        where nxt.ekstern_identifier = ${row}.ekstern_identifier and nxt.seq > ${row}.seq
                        order by nxt.ekstern_identifier, nxt.seq
                        limit 1), false)`;
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
    private readonly onDelivered: (count: number) => void,
  ) {}

  async settle(delivered: readonly string[], failed: readonly DeliveryFailure[]): Promise<void> {
    this.end();
    try {
      if (delivered.length > 0) {
        // Two narrow rows instead of rewriting the 1 KB outbox row and its eight index entries: the
        // message leaves outbox_pending and its delivery record is inserted, in one statement.
        await sql`
          with gone as (
            delete from outbox_pending
             where seq = any(${delivered}::bigint[]) and not parked
            returning seq, attempts, last_error)
          insert into outbox_delivery (seq, attempts, last_error)
          select seq, attempts, last_error from gone`.execute(this.trx);
      }
      if (failed.length > 0) {
        await sql`
          update outbox_pending p
             set attempts = p.attempts + f.counts::int,
                 last_error = f.error,
                 next_attempt_at = f.next_attempt_at
            from unnest(${failed.map((f) => f.seq)}::bigint[], ${failed.map((f) => f.countsAsAttempt)}::boolean[],
                        ${failed.map(describeFailure)}::text[], ${failed.map((f) => f.nextAttemptAt.toISOString())}::timestamptz[])
                 as f(seq, counts, error, next_attempt_at)
           where p.seq = f.seq and not p.parked`.execute(this.trx);
      }
      await this.trx.commit().execute();
      if (delivered.length > 0) this.onDelivered(delivered.length);
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

import { type RawBuilder, sql } from 'kysely';
import { plainArrayLiteral } from './array-literal';

/**
 * The relay's claim statements (KyselyRelayStore.claim runs them, the benches time them): the walk,
 * the skip scan and the chains. Why they keep per-entity order with any number of relays:
 * docs/relay.md#why-per-entity-order-holds-with-any-number-of-relays.
 */

/** A claimed row's columns as the statements below return them. */
export interface ClaimedRow {
  seq: string;
  has_more?: boolean;
  message_id: string;
  request_id: string;
  message_type: string;
  ekstern_identifier: string;
  jobcenter_kode: string;
  aendringstype: string;
  /** received_at as milliseconds since the epoch (a float8: cheaper to parse than a timestamptz). */
  received_ms: number;
  exchange: string;
  routing_key: string;
  body: string | null;
  attempts: number;
  traceparent: string | null;
  tracestate: string | null;
}

/** The walk visits at most this many due rows per head it may return. */
export const WALK_FACTOR = 2;

/**
 * Locks up to `limit` heads among the first WALK_FACTOR × limit due pending rows in the order of
 * outbox_pending_due (next_attempt_at, seq), `held` aside: a row is a head if its entity has no
 * undelivered row with a smaller seq (the NOT EXISTS, a plain read that does not skip locked
 * rows). Always returns one row at least, carrying in `due_rows` how many due rows the walk saw
 * (`seq` null when nothing was locked).
 */
export function walkStatement(options: {
  limit: number;
  probeMore: boolean;
  held: readonly string[];
}): RawBuilder<(ClaimedRow & { due_rows: number }) | { seq: null; due_rows: number }> {
  return sql`
    with due as materialized (
      select seq from outbox_pending
       where not parked and next_attempt_at <= now()
         and seq <> all(${plainArrayLiteral(options.held)}::bigint[])
       order by next_attempt_at, seq
       limit ${WALK_FACTOR * options.limit}
    ),
    locked as (
      select p.seq, p.ekstern_identifier, p.attempts
        from outbox_pending p
       -- The due rows as an array looked up by primary key: joined as a subquery, the planner
       -- hashed it against a scan of the whole table.
       where p.seq = any(array(select seq from due))
         and not p.parked
         and p.next_attempt_at <= now()
         and not exists (
               select 1 from outbox_pending older
                where older.ekstern_identifier = p.ekstern_identifier
                  and older.seq < p.seq)
       limit ${options.limit}
         for update of p skip locked
    ),
    found as (${lockedMessages(options.probeMore)})
    -- One row even when nothing was locked, to carry how many due rows the walk saw.
    select f.*, c.due_rows
      from (select count(*)::int as due_rows from due) c
      left join found f on true`;
}

/**
 * Locks the heads of up to `limit` entities, in `ekstern_identifier` order, after `after` or up
 * to and including `upTo`: the skip scan steps from entity to entity through
 * outbox_pending_by_entity, each step one descent (`> previous entity, limit 1`), and stops as
 * soon as `limit` heads are locked. An entity whose head is not pending and due (parked, backed
 * off) or is locked by another claim is passed over; so are the heads in `taken` (this claim's
 * walk locked them, and our own lock would not make SKIP LOCKED skip them). With `probeMore`,
 * has_more says whether the entity has an undelivered row behind its head.
 */
export function skipScanStatement(options: {
  limit: number;
  probeMore: boolean;
  taken: readonly string[];
  after?: string | undefined;
  upTo?: string | undefined;
}): RawBuilder<ClaimedRow> {
  const after = options.after ?? null;
  const upTo = options.upTo ?? null;
  return sql`
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
         and p.seq <> all(${plainArrayLiteral(options.taken)}::bigint[])
       limit ${options.limit}
         for update of p skip locked
    )
    ${lockedMessages(options.probeMore)}
     order by l.ekstern_identifier`;
}

/**
 * Locks and reads, for each head (entity and seq), up to `more` of its entity's next undelivered
 * rows that are pending, due and not held by another claim, each with its head's seq and its
 * position behind the head: a gap in the positions is a row that is not, and ends the chain.
 */
export function chainStatement(options: {
  heads: ReadonlyArray<{ readonly eksternIdentifier: string; readonly seq: string }>;
  more: number;
}): RawBuilder<ClaimedRow & { head: string; position: string }> {
  const { heads, more } = options;
  return sql`
    select ${MESSAGE_COLUMNS}, o.payload::text as body, h.seq as head, n.position
      from unnest(${plainArrayLiteral(heads.map((m) => m.eksternIdentifier))}::uuid[],
                  ${plainArrayLiteral(heads.map((m) => m.seq))}::bigint[])
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
       for update of l skip locked`;
}

/**
 * A claimed row's columns (ClaimedRow), all but the payload (`body`): the message from outbox `o`,
 * its attempts from the locked outbox_pending row `l`.
 */
const MESSAGE_COLUMNS = sql`o.seq, o.message_id, o.request_id, o.message_type, o.ekstern_identifier,
  o.jobcenter_kode, o.aendringstype, (extract(epoch from o.received_at) * 1000)::float8 as received_ms,
  o.exchange, o.routing_key, l.attempts, o.traceparent, o.tracestate`;

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

import { type RawBuilder, sql } from 'kysely';
import { erasureTargets } from './erasure-targets';

/**
 * How many messages each notice erased: delivered rows whose redaction names it
 * (outbox_delivery_redacted_by), not counting the notice's own payload.
 */
export function erasedCounts(noticeIds: readonly string[]): RawBuilder<{ notice: string; erased: number }> {
  return sql<{ notice: string; erased: number }>`
    select d.redacted_by::text as notice, (count(*) filter (where o.message_id <> d.redacted_by))::int as erased
      from outbox_delivery d
      join outbox o on o.seq = d.seq
     where d.redacted_by = any(${[...noticeIds]}::uuid[])
     group by d.redacted_by`;
}

/**
 * For each notice, the earlier messages it names that still hold a payload, delivered or not: what
 * its erasure waits for (a notice whose own payload is gone names none).
 */
export function erasureWaiting(
  noticeIds: readonly string[],
): RawBuilder<{ notice: string; waiting: number }> {
  return sql<{ notice: string; waiting: number }>`
    select n.id::text as notice, (select count(*) from (${erasureTargets(sql`n.id`, 'any')}) t)::int as waiting
      from unnest(${[...noticeIds]}::uuid[]) n(id)`;
}

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

/** Earlier messages a notice names that still hold a payload, delivered or not: what it waits for. */
export function erasureWaiting(noticeId: string): RawBuilder<{ n: number }> {
  return sql<{ n: number }>`select count(*)::int as n from (${erasureTargets(noticeId, 'any')}) t`;
}

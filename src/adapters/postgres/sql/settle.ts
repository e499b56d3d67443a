import { type RawBuilder, sql } from 'kysely';
import type { DeliveryFailure } from '../../../application/relay/ports';
import { plainArrayLiteral } from './array-literal';

/**
 * The relay's settle statements (PostgresClaim.settle runs them in the claim's transaction, the
 * benches time them): a delivered message leaves outbox_pending and its outbox_delivery row is
 * inserted; a failed one's attempts, last_error and next_attempt_at are updated. The outbox row is
 * never written. Parked rows are never touched (a second guard: an operator's park waits for the
 * claim's row locks).
 */

/**
 * Marks the rows `seqs` delivered: two narrow rows instead of rewriting the ~1 KB outbox row and
 * its index entries, in one statement. The seqs are inline (digits only, checked), not parameters,
 * so that the statement and the claim's COMMIT go in one round trip (the simple protocol takes no
 * parameters).
 */
export function deliveredStatement(seqs: readonly string[]): RawBuilder<unknown> {
  for (const seq of seqs) if (!/^\d+$/.test(seq)) throw new Error(`not a seq: ${JSON.stringify(seq)}`);
  return sql`
    with gone as (
      delete from outbox_pending
       where seq = any(${sql.lit(plainArrayLiteral(seqs))}::bigint[]) and not parked
      returning seq, attempts, last_error)
    insert into outbox_delivery (seq, attempts, last_error)
    select seq, attempts, last_error from gone`;
}

/** Records each failure: attempts (when it counts as one), last_error and when to try again. */
export function failedStatement(failures: readonly DeliveryFailure[]): RawBuilder<unknown> {
  return sql`
    update outbox_pending p
       set attempts = p.attempts + f.counts::int,
           last_error = f.error,
           next_attempt_at = f.next_attempt_at
      from unnest(${plainArrayLiteral(failures.map((f) => f.seq))}::bigint[], ${failures.map((f) => f.countsAsAttempt)}::boolean[],
                  ${failures.map(describeFailure)}::text[], ${failures.map((f) => f.nextAttemptAt.toISOString())}::timestamptz[])
           as f(seq, counts, error, next_attempt_at)
     where p.seq = f.seq and not p.parked`;
}

/** What goes into last_error: the reason and the broker's or driver's words, never a payload. */
function describeFailure(failure: DeliveryFailure): string {
  return `${failure.reason}: ${failure.detail}`.slice(0, 500);
}

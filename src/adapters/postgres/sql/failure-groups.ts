import { type RawBuilder, sql } from 'kysely';
import { ERROR_NORMALISATION } from '../../../application/operations/error-fingerprint';

/** `p.last_error` through every normalisation rule, as normaliseError does it in JavaScript. */
const NORMALISED_ERROR = ERROR_NORMALISATION.reduce<RawBuilder<unknown>>(
  (text, rule) => sql`regexp_replace(${text}, ${rule.pattern}, ${rule.replacement}, 'g')`,
  sql`p.last_error`,
);

export interface FailureGroupRow {
  fingerprint: string;
  error: string;
  count: number;
  parked: number;
  first_seen: Date;
  last_seen: Date;
}

/** Undelivered rows with a last error, grouped by its normalised text: a scan of outbox_pending. */
export const FAILURE_GROUPS = sql<FailureGroupRow>`
  select md5(error) as fingerprint, error, count(*)::int as count,
         (count(*) filter (where parked))::int as parked,
         min(received_at) as first_seen, max(received_at) as last_seen
    from (select ${NORMALISED_ERROR} as error, p.parked, p.received_at
            from outbox_pending p
           where p.last_error is not null) e
   group by error
   order by count(*) desc, md5(error)`;

/** The seqs of one group's members, oldest first: a scan of outbox_pending. */
export function failureGroupSeqs(fingerprint: string): RawBuilder<{ seq: string }> {
  return sql<{ seq: string }>`
    select p.seq from outbox_pending p
     where p.last_error is not null and md5(${NORMALISED_ERROR}) = ${fingerprint.toLowerCase()}
     order by p.seq`;
}

import { type RawBuilder, sql } from 'kysely';

/**
 * The condition "the Ordningsnotifikation row `alias` names one of the CPR numbers in `cprs`" (a
 * SQL expression of type text[]), in the shape the index outbox_unredacted_cpr_md5 answers
 * (migration 0008). The index holds the md5 of the number, because a number may be longer than a
 * btree entry can be; the md5 comparison finds the rows through it, and the comparison of the
 * numbers themselves keeps two numbers with one md5 from matching each other. `= any (array(…))`
 * rather than `in (select …)`, which PostgreSQL turns into a hash join over the whole table.
 *
 * The index is partial: the caller also requires `message_type = 'Ordningsnotifikation'` and
 * `payload is not null` of the same row, or the planner cannot use it.
 */
export function namesCprNumber(alias: string, cprs: RawBuilder<unknown>): RawBuilder<boolean> {
  const cpr = sql`(${sql.ref(`${alias}.payload`)} -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer')`;
  return sql<boolean>`(md5(${cpr}) = any (array(select md5(c) from unnest(${cprs}) c)) and ${cpr} = any (${cprs}))`;
}

import { type RawBuilder, sql } from 'kysely';

/**
 * Messages that still hold a payload naming `cprNummer`, by seq: an Ordningsnotifikation's
 * cprNummer through outbox_unredacted_cpr (the expression and predicate must stay as that index
 * has them), or a GDPR notice's cprNumre among the few unredacted notices (outbox_gdpr_unredacted).
 */
export function subjectAccessSeqs(cprNummer: string): RawBuilder<{ seq: string }> {
  return sql<{ seq: string }>`
    select seq from outbox
     where (payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer') = ${cprNummer}
       and payload is not null and message_type = 'Ordningsnotifikation'
    union
    select seq from outbox
     where message_type = 'GdprSlettetNotifikation' and payload is not null
       and payload -> 'gdprSlettetNotifikation' -> 'body' -> 'cprNumre' ? ${cprNummer}
    order by seq`;
}

import { type RawBuilder, sql } from 'kysely';
import { namesCprNumber } from '../cpr-number-match';

/**
 * Messages that still hold a payload naming `cprNummer`, by seq: an Ordningsnotifikation's
 * cprNummer through outbox_unredacted_cpr_md5 (namesCprNumber, and the predicate as that
 * index has it), or a GDPR notice's cprNumre among the few unredacted notices (outbox_gdpr_unredacted).
 */
export function subjectAccessSeqs(cprNummer: string): RawBuilder<{ seq: string }> {
  return sql<{ seq: string }>`
    select seq from outbox
     where ${namesCprNumber('outbox', sql`array[${cprNummer}]::text[]`)}
       and payload is not null and message_type = 'Ordningsnotifikation'
    union
    select seq from outbox
     where message_type = 'GdprSlettetNotifikation' and payload is not null
       and payload -> 'gdprSlettetNotifikation' -> 'body' -> 'cprNumre' ? ${cprNummer}
    order by seq`;
}

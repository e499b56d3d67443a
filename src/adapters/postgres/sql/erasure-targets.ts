import { type RawBuilder, sql } from 'kysely';

export type Delivery = 'delivered' | 'undelivered' | 'any';

export function deliveryCondition(delivery: Delivery): RawBuilder<unknown> {
  switch (delivery) {
    case 'delivered':
      return sql`and not exists (select 1 from outbox_pending p where p.seq = m.seq)`;
    case 'undelivered':
      return sql`and exists (select 1 from outbox_pending p where p.seq = m.seq)`;
    case 'any':
      return sql``;
    default: {
      const unexpected: never = delivery;
      throw new Error(`unknown delivery condition ${String(unexpected)}`);
    }
  }
}

/**
 * Message ids of the Ordningsnotifikation rows received before the GDPR notification `erasureId`
 * that it names: its own entity, its slettedeExternalIdentifiers, or a CPR number in its cprNumre.
 * Only rows that still hold a payload. Two arms so that each uses its index; `= any (array(…))`
 * rather than `in (select …)`, which PostgreSQL 15 turned into a hash join over the whole table
 * (2.3 s instead of under a millisecond at a million rows, see bench/growth.ts).
 */
export function erasureTargets(
  erasureId: string | RawBuilder<unknown>,
  delivery: Delivery,
): RawBuilder<{ message_id: string }> {
  const status = deliveryCondition(delivery);
  // A column of an outer query (erasure-progress.ts) or a value.
  const id = typeof erasureId === 'string' ? sql`${erasureId}::uuid` : erasureId;
  return sql<{ message_id: string }>`
    with g as (
      select seq, ekstern_identifier, payload -> 'gdprSlettetNotifikation' -> 'body' as body
        from outbox
       where message_id = ${id}
         and message_type = 'GdprSlettetNotifikation'
         and payload is not null
    ), entities as (
      select ekstern_identifier as id from g
      union
      select e::uuid from g, jsonb_array_elements_text(coalesce(g.body -> 'slettedeExternalIdentifiers', '[]'::jsonb)) e
    ), cprs as (
      select c from g, jsonb_array_elements_text(coalesce(g.body -> 'cprNumre', '[]'::jsonb)) c where c <> ''
    )
    select m.message_id from outbox m
     where m.ekstern_identifier = any (array(select id from entities))
       and m.message_type = 'Ordningsnotifikation' and m.payload is not null
       and m.seq < (select seq from g) ${status}
    union
    select m.message_id from outbox m
     where (m.payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer') = any (array(select c from cprs))
       and m.message_type = 'Ordningsnotifikation' and m.payload is not null
       and m.seq < (select seq from g) ${status}`;
}

import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { PayloadRedactionStore } from '../../application/operations/ports';
import { translateUnavailable } from './connection';
import { namesCprNumber } from './cpr-number-match';
import type { Database } from './database';

/** Serialises redaction batches across processes (several relays each run the sweep). */
const REDACTION_LOCK = 0x77736272; // 'wsbr'

export type Delivery = 'delivered' | 'undelivered' | 'any';

function deliveryCondition(delivery: Delivery): RawBuilder<unknown> {
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
export function erasureTargets(erasureId: string, delivery: Delivery): RawBuilder<{ message_id: string }> {
  const status = deliveryCondition(delivery);
  return sql<{ message_id: string }>`
    with g as (
      select seq, ekstern_identifier, payload -> 'gdprSlettetNotifikation' -> 'body' as body
        from outbox
       where message_id = ${erasureId}::uuid
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
     where ${namesCprNumber('m', sql`array(select c from cprs)`)}
       and m.message_type = 'Ordningsnotifikation' and m.payload is not null
       and m.seq < (select seq from g) ${status}`;
}

/**
 * From and where of the Ordningsnotifikation rows delivered before `deliveredBefore` that still
 * hold a payload: outbox_delivery `d` through its partial index on payload_held, and outbox `o`.
 */
function expired(deliveredBefore: Date): RawBuilder<unknown> {
  return sql`
      from outbox_delivery d join outbox o on o.seq = d.seq
     where d.payload_held and d.delivered_at < ${deliveredBefore}
       and o.message_type = 'Ordningsnotifikation'`;
}

export class KyselyPayloadRedactionStore implements PayloadRedactionStore {
  constructor(private readonly db: Kysely<Database>) {}

  redactExpired(deliveredBefore: Date, limit: number): Promise<number> {
    return this.redactBatch(sql`
      select o.message_id ${expired(deliveredBefore)}
       order by d.delivered_at
       limit ${limit}`);
  }

  async countExpired(deliveredBefore: Date): Promise<number> {
    return this.count(sql`select count(*) as n ${expired(deliveredBefore)}`);
  }

  async deliveredErasures(): Promise<string[]> {
    try {
      const { rows } = await sql<{ message_id: string }>`
        select message_id from outbox m
         where message_type = 'GdprSlettetNotifikation' and payload is not null ${deliveryCondition('delivered')}
         order by seq`.execute(this.db);
      return rows.map((r) => r.message_id);
    } catch (error) {
      return translateUnavailable(error);
    }
  }

  redactErasureTargets(erasureMessageId: string, limit: number): Promise<number> {
    return this.redactBatch(sql`
      select message_id from (${erasureTargets(erasureMessageId, 'delivered')}) t limit ${limit}`);
  }

  countErasureTargets(erasureMessageId: string): Promise<number> {
    return this.count(sql`select count(*) as n from (${erasureTargets(erasureMessageId, 'delivered')}) t`);
  }

  countErasureBlockers(erasureMessageId: string): Promise<number> {
    return this.count(sql`select count(*) as n from (${erasureTargets(erasureMessageId, 'undelivered')}) t`);
  }

  async redactErasure(erasureMessageId: string): Promise<boolean> {
    // One statement: whether anything it names still holds a payload and the redaction itself see
    // the same snapshot, so a row delivered meanwhile cannot slip through.
    const redacted = await this.redactBatch(sql`
      select message_id from outbox m
       where message_id = ${erasureMessageId}::uuid and payload is not null ${deliveryCondition('delivered')}
         and not exists (${erasureTargets(erasureMessageId, 'any')})`);
    return redacted > 0;
  }

  /**
   * Redacts the delivered rows `ids` selects, in one short transaction; returns how many. Their
   * delivery records stop holding a place in the retention sweep's index (payload_held).
   */
  private async redactBatch(ids: RawBuilder<unknown>): Promise<number> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${REDACTION_LOCK})`.execute(trx);
        const { rows } = await sql<{ n: string }>`
          with redacted as (
            update outbox m set payload = null, redacted_at = now()
             where message_id in (${ids}) and payload is not null ${deliveryCondition('delivered')}
            returning seq),
          released as (
            update outbox_delivery set payload_held = false
             where seq in (select seq from redacted))
          select count(*) as n from redacted`.execute(trx);
        return Number(rows[0]?.n ?? 0);
      });
    } catch (error) {
      return translateUnavailable(error);
    }
  }

  private async count(query: RawBuilder<unknown>): Promise<number> {
    try {
      const { rows } = await sql<{ n: string }>`${query}`.execute(this.db);
      return Number(rows[0]?.n ?? 0);
    } catch (error) {
      return translateUnavailable(error);
    }
  }
}

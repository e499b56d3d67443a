import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { PayloadRedactionStore, RedactionReason } from '../../application/operations/ports';
import { translateUnavailable } from './connection';
import type { Database } from './database';
import { deliveryCondition, erasureTargets } from './sql/erasure-targets';

/** Serialises redaction batches across processes (several relays each run the sweep). */
const REDACTION_LOCK = 0x77736272; // 'wsbr'

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
    return this.redactBatch(
      sql`
      select o.message_id ${expired(deliveredBefore)}
       order by d.delivered_at
       limit ${limit}`,
      { reason: 'retention', by: null },
    );
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
    return this.redactBatch(
      sql`
      select message_id from (${erasureTargets(erasureMessageId, 'delivered')}) t limit ${limit}`,
      { reason: 'gdpr', by: erasureMessageId },
    );
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
    const redacted = await this.redactBatch(
      sql`
      select message_id from outbox m
       where message_id = ${erasureMessageId}::uuid and payload is not null ${deliveryCondition('delivered')}
         and not exists (${erasureTargets(erasureMessageId, 'any')})`,
      { reason: 'gdpr', by: erasureMessageId },
    );
    return redacted > 0;
  }

  /**
   * Redacts the delivered rows `ids` selects, in one short transaction; returns how many. Their
   * delivery records stop holding a place in the retention sweep's index (payload_held) and
   * record why, and for GDPR which notice erased them (migration 0007).
   */
  private async redactBatch(
    ids: RawBuilder<unknown>,
    record: { readonly reason: RedactionReason; readonly by: string | null },
  ): Promise<number> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${REDACTION_LOCK})`.execute(trx);
        const { rows } = await sql<{ n: string }>`
          with redacted as (
            update outbox m set payload = null, redacted_at = now()
             where message_id in (${ids}) and payload is not null ${deliveryCondition('delivered')}
            returning seq),
          released as (
            update outbox_delivery
               set payload_held = false, redaction_reason = ${record.reason}, redacted_by = ${record.by}::uuid
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

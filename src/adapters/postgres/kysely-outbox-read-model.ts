import { type Kysely, type RawBuilder, sql } from 'kysely';
import type {
  DeliveredCount,
  OutboxEntry,
  OutboxReadModel,
  OutboxStatistics,
  OutboxStatus,
} from '../../application/operations/ports';
import { translateUnavailable } from './connection';
import type { Database, OutboxAuditView } from './database';
import { DELIVERED_ESTIMATE_SQL } from './sql/delivered-estimate';

/**
 * An outbox row's metadata with its delivery state, as the read model and operators see it: the
 * auditors' view without the payload and trace state, plus when the relay may try it next.
 */
export type EntryRow = Omit<OutboxAuditView, 'payload' | 'tracestate'> & {
  next_attempt_at: Date | null;
};

/**
 * Entries whose outbox row (`o`) matches `where`: the delivery state comes from outbox_pending
 * while undelivered, from outbox_delivery once delivered (migration 0005).
 */
export function selectEntries(where: RawBuilder<unknown>): RawBuilder<EntryRow> {
  return sql<EntryRow>`
    select o.seq, o.message_id, o.request_id, o.message_type, o.ekstern_identifier, o.jobcenter_kode,
           o.registrerings_dato, o.aendringstype, o.client_id, o.client_cert_subject, o.received_at,
           o.exchange, o.routing_key,
           case when p.seq is null then 'delivered' when p.parked then 'parked' else 'pending' end as status,
           coalesce(p.attempts, d.attempts, 0) as attempts,
           case when p.seq is null then d.last_error else p.last_error end as last_error,
           p.next_attempt_at, d.delivered_at, o.redacted_at, o.traceparent,
           d.redaction_reason, d.redacted_by
      from outbox o
      left join outbox_pending p on p.seq = o.seq
      left join outbox_delivery d on d.seq = o.seq
     where ${where}
     order by o.seq`;
}

export function toEntry(row: EntryRow): OutboxEntry {
  return {
    seq: String(row.seq),
    messageId: row.message_id,
    requestId: row.request_id,
    kind: row.message_type,
    eksternIdentifier: row.ekstern_identifier,
    jobCenterKode: row.jobcenter_kode,
    registreringsDato: row.registrerings_dato,
    aendringstype: row.aendringstype,
    clientId: row.client_id,
    clientCertSubject: row.client_cert_subject,
    receivedAt: row.received_at,
    exchange: row.exchange,
    routingKey: row.routing_key,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    redactedAt: row.redacted_at,
  };
}

/** A uuid as PostgreSQL's uuid type accepts it in canonical form; anything else matches no row. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Undelivered rows by status, from outbox_pending alone: cheap at any history size. */
export const UNDELIVERED_SUMMARY_SQL = sql<{
  status: OutboxStatus;
  n: number;
  oldest_age_seconds: number | null;
}>`
  select case when parked then 'parked' else 'pending' end as status, count(*)::int as n,
         extract(epoch from (now() - min(received_at)))::float8 as oldest_age_seconds
    from outbox_pending
   group by parked`;

/** Delivered rows, counted exactly: a scan of outbox_delivery, which grows with history (see statistics). */
export const DELIVERED_COUNT_SQL = sql<{ n: string }>`select count(*) as n from outbox_delivery`;

/** Entities whose oldest undelivered row is parked or has failed at least once. */
export const BLOCKED_ENTITIES_SQL = sql<{ n: string }>`
  select count(*) as n
    from (select distinct on (ekstern_identifier) parked, attempts
            from outbox_pending
           order by ekstern_identifier, seq) oldest
   where parked or attempts > 0`;

/**
 * Below this many delivered rows (as estimated) `estimate` still counts them: a count of this many
 * takes milliseconds, and a small outbox (a new installation, the tests) shows the exact figure.
 */
export const COUNT_DELIVERED_BELOW = 100_000;

export class KyselyOutboxReadModel implements OutboxReadModel {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly countDeliveredBelow = COUNT_DELIVERED_BELOW,
  ) {}

  /** The delivered rows: counted, or the planner's estimate when asked for and the history is long. */
  private async delivered(how: DeliveredCount): Promise<{ n: number; estimated: boolean }> {
    if (how === 'estimate') {
      const estimate = (await DELIVERED_ESTIMATE_SQL.execute(this.db)).rows[0]?.n ?? null;
      if (estimate !== null && Number(estimate) >= this.countDeliveredBelow) {
        return { n: Number(estimate), estimated: true };
      }
    }
    const { rows } = await DELIVERED_COUNT_SQL.execute(this.db);
    return { n: Number(rows[0]?.n ?? 0), estimated: false };
  }

  async statistics(how: DeliveredCount): Promise<OutboxStatistics> {
    try {
      const undelivered = await UNDELIVERED_SUMMARY_SQL.execute(this.db);
      const delivered = await this.delivered(how);
      const blocked = await BLOCKED_ENTITIES_SQL.execute(this.db);
      const erasures = await sql<{ n: string }>`
        select count(*) as n from outbox o
         where message_type = 'GdprSlettetNotifikation' and payload is not null
           and not exists (select 1 from outbox_pending p where p.seq = o.seq)`.execute(this.db);
      const byStatus = new Map(undelivered.rows.map((r) => [r.status, r]));
      const age = (status: OutboxStatus) => {
        const value = byStatus.get(status)?.oldest_age_seconds;
        return value === undefined || value === null ? null : Math.max(0, Number(value));
      };
      return {
        countByStatus: {
          pending: byStatus.get('pending')?.n ?? 0,
          parked: byStatus.get('parked')?.n ?? 0,
          delivered: delivered.n,
        },
        oldestPendingAgeSeconds: age('pending'),
        oldestParkedAgeSeconds: age('parked'),
        blockedEntities: Number(blocked.rows[0]?.n ?? 0),
        gdprErasuresWaiting: Number(erasures.rows[0]?.n ?? 0),
        deliveredEstimated: delivered.estimated,
      };
    } catch (error) {
      return translateUnavailable(error);
    }
  }

  /** For the metrics scrape: undelivered rows by status, from the partial index only. */
  async undelivered(): Promise<
    Array<{ status: OutboxStatus; count: number; oldestAgeSeconds: number | null }>
  > {
    const { rows } = await UNDELIVERED_SUMMARY_SQL.execute(this.db);
    return rows.map((r) => ({
      status: r.status,
      count: Number(r.n),
      oldestAgeSeconds: r.oldest_age_seconds === null ? null : Math.max(0, Number(r.oldest_age_seconds)),
    }));
  }

  async find(id: string): Promise<OutboxEntry[]> {
    try {
      const where = UUID.test(id)
        ? sql`(o.message_id = ${id.toLowerCase()}::uuid or o.request_id = ${id})`
        : sql`o.request_id = ${id}`;
      const { rows } = await selectEntries(where).execute(this.db);
      return rows.map(toEntry);
    } catch (error) {
      return translateUnavailable(error);
    }
  }

  async payloadOf(messageId: string): Promise<Readonly<Record<string, unknown>> | null> {
    try {
      const row = await this.db
        .selectFrom('outbox')
        .select('payload')
        .where('message_id', '=', messageId)
        .executeTakeFirst();
      return row?.payload ?? null;
    } catch (error) {
      return translateUnavailable(error);
    }
  }
}

/**
 * Seconds since the oldest delivered row that still carries its payload was delivered (null when
 * none): the first entry of the partial index outbox_delivery_redaction_due, cheap at any history
 * size.
 */
export async function oldestUnredactedDeliveredAgeSeconds(db: Kysely<Database>): Promise<number | null> {
  const { rows } = await sql<{ age: number | null }>`
    select extract(epoch from (now() - min(delivered_at)))::float8 as age
      from outbox_delivery where payload_held`.execute(db);
  const age = rows[0]?.age ?? null;
  return age === null ? null : Math.max(0, Number(age));
}

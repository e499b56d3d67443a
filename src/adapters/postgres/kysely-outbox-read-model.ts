import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  OutboxEntry,
  OutboxReadModel,
  OutboxStatistics,
  OutboxStatus,
} from '../../application/operations/ports';
import { translateUnavailable } from './connection';
import type { Database, OutboxTable } from './database';

export const ENTRY_COLUMNS = [
  'seq',
  'message_id',
  'request_id',
  'message_type',
  'ekstern_identifier',
  'jobcenter_kode',
  'registrerings_dato',
  'aendringstype',
  'client_id',
  'client_cert_subject',
  'received_at',
  'exchange',
  'routing_key',
  'status',
  'attempts',
  'last_error',
  'next_attempt_at',
  'delivered_at',
  'redacted_at',
] as const;

type EntryRow = Pick<Selectable<OutboxTable>, (typeof ENTRY_COLUMNS)[number]>;

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

/** Undelivered rows by status, from the partial index on undelivered rows: cheap at any history size. */
export const UNDELIVERED_SUMMARY_SQL = sql<{
  status: OutboxStatus;
  n: number;
  oldest_age_seconds: number | null;
}>`
  select status, count(*)::int as n,
         extract(epoch from (now() - min(received_at)))::float8 as oldest_age_seconds
    from outbox
   where status <> 'delivered'
   group by status`;

export class KyselyOutboxReadModel implements OutboxReadModel {
  constructor(private readonly db: Kysely<Database>) {}

  async statistics(): Promise<OutboxStatistics> {
    try {
      const undelivered = await UNDELIVERED_SUMMARY_SQL.execute(this.db);
      // Delivered rows are the whole history: counted from the planner's estimate would be cheaper,
      // but an operator asking wants the exact figure and the command runs rarely.
      const delivered = await sql<{ n: string }>`
        select count(*) as n from outbox where status = 'delivered'`.execute(this.db);
      const blocked = await sql<{ n: string }>`
        select count(*) as n
          from (select distinct on (ekstern_identifier) status, attempts
                  from outbox
                 where status <> 'delivered'
                 order by ekstern_identifier, seq) oldest
         where status = 'parked' or attempts > 0`.execute(this.db);
      const erasures = await sql<{ n: string }>`
        select count(*) as n from outbox
         where message_type = 'GdprSlettetNotifikation' and payload is not null and status = 'delivered'`.execute(
        this.db,
      );
      const byStatus = new Map(undelivered.rows.map((r) => [r.status, r]));
      const age = (status: OutboxStatus) => {
        const value = byStatus.get(status)?.oldest_age_seconds;
        return value === undefined || value === null ? null : Math.max(0, Number(value));
      };
      return {
        countByStatus: {
          pending: byStatus.get('pending')?.n ?? 0,
          parked: byStatus.get('parked')?.n ?? 0,
          delivered: Number(delivered.rows[0]?.n ?? 0),
        },
        oldestPendingAgeSeconds: age('pending'),
        oldestParkedAgeSeconds: age('parked'),
        blockedEntities: Number(blocked.rows[0]?.n ?? 0),
        gdprErasuresWaiting: Number(erasures.rows[0]?.n ?? 0),
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
      let query = this.db.selectFrom('outbox').select(ENTRY_COLUMNS);
      query = UUID.test(id)
        ? query.where((eb) => eb.or([eb('message_id', '=', id.toLowerCase()), eb('request_id', '=', id)]))
        : query.where('request_id', '=', id);
      const rows = await query.orderBy('seq').execute();
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
 * none): the first entry of the partial index outbox_redaction_due, cheap at any history size.
 */
export async function oldestUnredactedDeliveredAgeSeconds(db: Kysely<Database>): Promise<number | null> {
  const { rows } = await sql<{ age: number | null }>`
    select extract(epoch from (now() - min(delivered_at)))::float8 as age
      from outbox where status = 'delivered' and payload is not null`.execute(db);
  const age = rows[0]?.age ?? null;
  return age === null ? null : Math.max(0, Number(age));
}

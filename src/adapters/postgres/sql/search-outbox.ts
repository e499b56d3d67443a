import { type RawBuilder, sql } from 'kysely';
import type { OutboxSearch } from '../../../application/operations/ports';
import { UUID } from '../kysely-outbox-read-model';

/** A keyset as the pages hand it out: a seq. */
export const SEQ = /^[0-9]{1,18}$/;

/** The undelivered rows of entities whose oldest undelivered row is parked or has failed (`p`). */
export const BLOCKED_ENTITY = sql`
  p.ekstern_identifier in (
    select h.ekstern_identifier
      from (select distinct on (ekstern_identifier) ekstern_identifier, parked, attempts
              from outbox_pending
             order by ekstern_identifier, seq) h
     where h.parked or h.attempts > 0)`;

/**
 * The seqs of one page of `search`, newest first by received_at and then seq, one more than the
 * limit (so the caller knows whether a next page exists); undefined when no row can match. The
 * keyset `after` is the seq of the previous page's last row.
 *
 * Each filter meets an index that already has the page order: outbox_received_at, the auditors'
 * (ekstern_identifier, received_at) and (jobcenter_kode, received_at), outbox_gdpr_received for
 * GDPR notices (0007), the unique request id and message id; a status other than delivered reads
 * outbox_pending and joins each of its rows (the undelivered rows, never the history).
 */
export function searchOutboxSeqs(search: OutboxSearch): RawBuilder<{ seq: string }> | undefined {
  if (search.messageId !== undefined && !UUID.test(search.messageId)) return undefined;
  if (search.eksternIdentifier !== undefined && !UUID.test(search.eksternIdentifier)) return undefined;
  if (search.after !== undefined && !SEQ.test(search.after)) return undefined;
  const conditions: RawBuilder<unknown>[] = [];
  if (search.requestId !== undefined) conditions.push(sql`o.request_id = ${search.requestId}`);
  if (search.messageId !== undefined)
    conditions.push(sql`o.message_id = ${search.messageId.toLowerCase()}::uuid`);
  if (search.eksternIdentifier !== undefined) {
    conditions.push(sql`o.ekstern_identifier = ${search.eksternIdentifier.toLowerCase()}::uuid`);
  }
  if (search.jobCenterKode !== undefined) conditions.push(sql`o.jobcenter_kode = ${search.jobCenterKode}`);
  // Literal, not a parameter: the partial index outbox_gdpr_received matches only a constant.
  if (search.kind === 'GdprSlettetNotifikation')
    conditions.push(sql`o.message_type = 'GdprSlettetNotifikation'`);
  if (search.kind === 'Ordningsnotifikation') conditions.push(sql`o.message_type = 'Ordningsnotifikation'`);
  if (search.receivedFrom !== undefined) conditions.push(sql`o.received_at >= ${search.receivedFrom}`);
  if (search.receivedTo !== undefined) conditions.push(sql`o.received_at < ${search.receivedTo}`);
  if (search.after !== undefined) {
    const last = sql`(select received_at from outbox where seq = ${search.after}::bigint)`;
    // The first condition alone lets a one-column index on received_at bound the scan.
    conditions.push(
      sql`o.received_at <= ${last}`,
      sql`(o.received_at, o.seq) < (${last}, ${search.after}::bigint)`,
    );
  }

  const blocked = search.blocked === true;
  let from: RawBuilder<unknown>;
  switch (search.status) {
    case 'delivered':
      if (blocked) return undefined;
      from = sql`outbox o`;
      conditions.push(sql`not exists (select 1 from outbox_pending p where p.seq = o.seq)`);
      break;
    case 'pending':
    case 'parked':
      from = sql`outbox_pending p join outbox o on o.seq = p.seq`;
      conditions.push(search.status === 'parked' ? sql`p.parked` : sql`not p.parked`);
      break;
    case 'undelivered':
      from = sql`outbox_pending p join outbox o on o.seq = p.seq`;
      break;
    case undefined:
      from = blocked ? sql`outbox_pending p join outbox o on o.seq = p.seq` : sql`outbox o`;
      break;
    default: {
      const unexpected: never = search.status;
      throw new Error(`unknown status ${String(unexpected)}`);
    }
  }
  if (blocked) conditions.push(BLOCKED_ENTITY);
  const where = conditions.length === 0 ? sql`true` : sql.join(conditions, sql` and `);
  return sql<{ seq: string }>`
    select o.seq from ${from}
     where ${where}
     order by o.received_at desc, o.seq desc
     limit ${pageLimit(search.limit) + 1}`;
}

/** A page's size, 1–500 whatever was asked. */
export function pageLimit(limit: number): number {
  return Math.min(500, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 1)));
}

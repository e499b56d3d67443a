import type { Transaction } from 'kysely';
import type { AppendOutcome, OutboxMessage, OutboxRepository } from '../../application/intake/ports';
import type { Database } from './database';
import { isStorable } from '../../domain/primitives';
import { UNIQUE_VIOLATION } from './connection';
import { RowRefusedError } from './database-refusal';
import { insertOutboxRowsStatement } from './sql/insert-outbox-rows';

/**
 * The first column of `message`'s row that holds a string PostgreSQL cannot store as it is, or
 * undefined. U+0000 is refused (SQLSTATE 22021 in text, 22P05 in jsonb), which would abort the
 * whole group-commit batch and make it run again in halves; an unpaired surrogate reaches a text
 * column as U+FFFD (the driver encodes UTF-8 with replacement), which would store the value
 * altered. The intake refuses both before they get here (the codecs, the authenticator): this is
 * the last line, so that a value that slipped past them fails its own request, and only that.
 */
export function unstorableColumn(message: OutboxMessage): string | undefined {
  const columns: ReadonlyArray<readonly [string, string | undefined]> = [
    ['message_id', message.messageId],
    ['request_id', message.requestId],
    ['message_type', message.kind],
    ['ekstern_identifier', message.eksternIdentifier],
    ['jobcenter_kode', message.jobCenterKode],
    ['aendringstype', message.aendringstype],
    ['client_id', message.clientId],
    ['client_cert_subject', message.clientCertSubject],
    ['exchange', message.exchange],
    ['routing_key', message.routingKey],
    ['traceparent', message.traceContext?.traceparent],
    ['tracestate', message.traceContext?.tracestate],
  ];
  for (const [column, value] of columns) {
    if (value !== undefined && !isStorable(value)) return column;
  }
  return holdsUnstorable(message.payload) ? 'payload' : undefined;
}

function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return !isStorable(value);
  if (Array.isArray(value)) return value.some(holdsUnstorable);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => !isStorable(key) || holdsUnstorable(inner));
  }
  return false;
}

/** The backend that ran an insert, and its transaction: what a commit in doubt needs to wait for. */
export interface BackendTransaction {
  readonly pid: number;
  /** The transaction's 32-bit xid as pg_stat_activity.backend_xid shows it. */
  readonly xid: string;
}

export interface InsertedRows {
  /** The request ids whose rows were inserted (the others existed already). */
  readonly requestIds: Set<string>;
  /** Undefined when nothing was inserted. */
  readonly backend: BackendTransaction | undefined;
}

/**
 * Inserts rows, skipping any whose request_id exists. Reports the request ids that were inserted
 * and the backend transaction that holds them.
 * Rows are sorted by request id so that two concurrent batches take their unique-index locks in
 * the same order and cannot deadlock; a repeated request id inside the batch keeps its first row.
 */
export async function insertOutboxRows(
  trx: Transaction<Database>,
  messages: readonly OutboxMessage[],
): Promise<InsertedRows> {
  for (const m of messages) {
    const column = unstorableColumn(m);
    if (column !== undefined)
      throw new RowRefusedError({ sqlState: undefined, error: 'UnstorableValue', column });
  }
  return insertCheckedOutboxRows(trx, messages);
}

/** insertOutboxRows for messages that unstorableColumn has already passed (group commit's batches). */
export async function insertCheckedOutboxRows(
  trx: Transaction<Database>,
  messages: readonly OutboxMessage[],
): Promise<InsertedRows> {
  const unique = new Map<string, OutboxMessage>();
  for (const m of messages) if (!unique.has(m.requestId)) unique.set(m.requestId, m);
  const rows = [...unique.values()].sort((a, b) =>
    a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0,
  );
  if (rows.length === 0) return { requestIds: new Set(), backend: undefined };
  try {
    const { rows: inserted } = await trx.executeQuery(insertOutboxRowsStatement(rows));
    const first = inserted[0];
    return {
      requestIds: new Set(inserted.map((r) => r.request_id)),
      backend: first === undefined ? undefined : { pid: first.backend_pid, xid: first.backend_xid },
    };
  } catch (error) {
    // ON CONFLICT covers request_id; a 23505 here can only be a message_id collision (a uuid
    // generator bug), which must not be reported as a client's duplicate.
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
      throw new Error('outbox insert hit a unique violation other than request_id', { cause: error });
    }
    throw error;
  }
}

/** The outbox repository bound to one transaction. */
export class KyselyOutboxRepository implements OutboxRepository {
  constructor(private readonly trx: Transaction<Database>) {}

  async append(message: OutboxMessage): Promise<AppendOutcome> {
    const inserted = await insertOutboxRows(this.trx, [message]);
    return inserted.requestIds.has(message.requestId) ? 'appended' : 'duplicate-request-id';
  }
}

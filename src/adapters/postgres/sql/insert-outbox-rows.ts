import { CompiledQuery } from 'kysely';
import type { OutboxMessage } from '../../../application/intake/ports';

export interface InsertedOutboxRow {
  readonly request_id: string;
  readonly backend_pid: number;
  /** The transaction's 32-bit xid as pg_stat_activity.backend_xid shows it. */
  readonly backend_xid: string;
}

const COLUMNS = [
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
  'payload',
  'traceparent',
  'tracestate',
] as const;

/** Each column's value of one message, in COLUMNS' order; the payload as JSON text for jsonb. */
function columnValues(m: OutboxMessage): unknown[] {
  return [
    m.messageId,
    m.requestId,
    m.kind,
    m.eksternIdentifier,
    m.jobCenterKode,
    m.registreringsDato,
    m.aendringstype,
    m.clientId,
    m.clientCertSubject ?? null,
    m.receivedAt,
    m.exchange,
    m.routingKey,
    JSON.stringify(m.payload),
    m.traceContext?.traceparent ?? null,
    m.traceContext?.tracestate ?? null,
  ];
}

/** The statement's text for a batch of `rows` rows, written once per batch size. */
const textByRows = new Map<number, string>();

function statementText(rows: number): string {
  let text = textByRows.get(rows);
  if (text === undefined) {
    const tuples = Array.from(
      { length: rows },
      (_, row) => `(${COLUMNS.map((_column, i) => `$${row * COLUMNS.length + i + 1}`).join(', ')})`,
    );
    text = `
      with appended as (
        insert into outbox (${COLUMNS.join(', ')})
        values ${tuples.join(',\n               ')}
        on conflict (request_id) do nothing
        returning seq, ekstern_identifier, received_at, request_id),
      queued as (
        insert into outbox_pending (seq, ekstern_identifier, received_at)
        select seq, ekstern_identifier, received_at from appended)
      select request_id, pg_backend_pid() as backend_pid, (txid_current() % 4294967296)::text as backend_xid
        from appended`;
    textByRows.set(rows, text);
  }
  return text;
}

/**
 * The intake's insert, one statement per group-commit batch: the messages' outbox rows, skipping
 * any whose request_id exists, and their outbox_pending rows (what the relay claims from) in the
 * same statement, so no transaction can see one without the other. Returns the request ids
 * inserted, with the backend and transaction that hold them (what a commit in doubt waits for).
 * Rows go in in the order given: the caller sorts them by request id, so that two concurrent
 * batches take their unique-index locks in the same order.
 *
 * Written by hand, not with kysely's builder: the builder built, and its compiler walked, a VALUES
 * list of fifteen parameters per row on every batch; this text is written once per batch size
 * (at most INTAKE_BATCH_MAX of them) and the parameters are the values themselves.
 */
export function insertOutboxRowsStatement(
  messages: readonly OutboxMessage[],
): CompiledQuery<InsertedOutboxRow> {
  return CompiledQuery.raw(statementText(messages.length), messages.flatMap(columnValues));
}

import { type RawBuilder, sql } from 'kysely';
import type { OutboxMessage } from '../../../application/intake/ports';

export interface InsertedOutboxRow {
  readonly request_id: string;
  readonly backend_pid: number;
  /** The transaction's 32-bit xid as pg_stat_activity.backend_xid shows it. */
  readonly backend_xid: string;
}

/**
 * The intake's insert, one statement per group-commit batch: the messages' outbox rows, skipping
 * any whose request_id exists, and their outbox_pending rows (what the relay claims from) in the
 * same statement, so no transaction can see one without the other. Returns the request ids
 * inserted, with the backend and transaction that hold them (what a commit in doubt waits for).
 *
 * One array per column, unnested: the statement is the same text for every batch size and has
 * fifteen parameters, where kysely's builder built, and its compiler walked, a VALUES list of fifteen
 * per row on every batch (the intake's largest cost in JavaScript, docs/performance.md).
 * Rows go in in the order given (`ordinality`): the caller sorts them by request id, so that two
 * concurrent batches take their unique-index locks in the same order. Values reach the columns by
 * assignment, as from VALUES: a request id too long for varchar(46) fails, it is never truncated.
 */
export function insertOutboxRowsStatement(messages: readonly OutboxMessage[]): RawBuilder<InsertedOutboxRow> {
  const column = <T>(value: (m: OutboxMessage) => T): T[] => messages.map(value);
  return sql<InsertedOutboxRow>`
    with appended as (
      insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                          registrerings_dato, aendringstype, client_id, client_cert_subject, received_at,
                          exchange, routing_key, payload, traceparent, tracestate)
      select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
             registrerings_dato, aendringstype, client_id, client_cert_subject, received_at,
             exchange, routing_key, payload, traceparent, tracestate
        from unnest(${column((m) => m.messageId)}::uuid[],
                    ${column((m) => m.requestId)}::text[],
                    ${column((m) => m.kind)}::text[],
                    ${column((m) => m.eksternIdentifier)}::uuid[],
                    ${column((m) => m.jobCenterKode)}::text[],
                    ${column((m) => m.registreringsDato)}::timestamptz[],
                    ${column((m) => m.aendringstype)}::text[],
                    ${column((m) => m.clientId)}::text[],
                    ${column((m) => m.clientCertSubject ?? null)}::text[],
                    ${column((m) => m.receivedAt)}::timestamptz[],
                    ${column((m) => m.exchange)}::text[],
                    ${column((m) => m.routingKey)}::text[],
                    ${column((m) => JSON.stringify(m.payload))}::jsonb[],
                    ${column((m) => m.traceContext?.traceparent ?? null)}::text[],
                    ${column((m) => m.traceContext?.tracestate ?? null)}::text[])
             with ordinality
             as r(message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                  registrerings_dato, aendringstype, client_id, client_cert_subject, received_at,
                  exchange, routing_key, payload, traceparent, tracestate, n)
       order by n
      on conflict (request_id) do nothing
      returning seq, ekstern_identifier, received_at, request_id),
    queued as (
      insert into outbox_pending (seq, ekstern_identifier, received_at)
      select seq, ekstern_identifier, received_at from appended)
    select request_id, pg_backend_pid() as backend_pid, (txid_current() % 4294967296)::text as backend_xid
      from appended`;
}

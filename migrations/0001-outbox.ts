import { type Kysely, sql } from 'kysely';

/**
 * The transactional outbox. One row per accepted call; the unique request_id is what makes a
 * repeated x-requestId a 412 forever, so rows are never deleted (payloads are redacted instead).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table outbox (
      seq                 bigint generated always as identity,
      message_id          uuid primary key,
      request_id          varchar(46) not null,
      message_type        text not null check (message_type in ('Ordningsnotifikation', 'GdprSlettetNotifikation')),
      ekstern_identifier  uuid not null,
      jobcenter_kode      text not null,
      registrerings_dato  timestamptz not null,
      aendringstype       text not null check (aendringstype in ('Oprettelse', 'Opdatering', 'Sletning')),
      client_id           text not null,
      client_cert_subject text,
      received_at         timestamptz not null,
      exchange            text not null,
      routing_key         text not null,
      payload             jsonb,
      status              text not null default 'pending' check (status in ('pending', 'delivered', 'parked')),
      attempts            integer not null default 0,
      last_error          text,
      next_attempt_at     timestamptz not null default now(),
      delivered_at        timestamptz,
      redacted_at         timestamptz,
      constraint outbox_request_id_unique unique (request_id),
      constraint outbox_seq_unique unique (seq),
      constraint outbox_payload_or_redacted check ((payload is null) = (redacted_at is not null))
    )`.execute(db);
  // Undelivered rows only: the relay's claim stays as fast with a million delivered rows as with none.
  await sql`create index outbox_undelivered_by_entity on outbox (ekstern_identifier, seq) where status <> 'delivered'`.execute(
    db,
  );
  await sql`create index outbox_pending_due on outbox (next_attempt_at, seq) where status = 'pending'`.execute(
    db,
  );
  // Auditors' look-ups.
  await sql`create index outbox_ekstern_identifier on outbox (ekstern_identifier, received_at)`.execute(db);
  await sql`create index outbox_jobcenter_received on outbox (jobcenter_kode, received_at)`.execute(db);
  await sql`create index outbox_received_at on outbox (received_at)`.execute(db);

  await sql`
    create view outbox_audit as
    select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
           aendringstype, client_id, client_cert_subject, received_at, status, attempts, last_error,
           delivered_at, exchange, routing_key, payload, redacted_at, seq
      from outbox`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view if exists outbox_audit`.execute(db);
  await sql`drop table if exists outbox`.execute(db);
}

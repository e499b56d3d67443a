import { type Kysely, sql } from 'kysely';

/**
 * No index holds a value of unbounded length from a request. A btree entry must fit in a third of
 * a page (2 704 bytes), and PostgreSQL refuses a row whose entry does not (SQLSTATE 54000): a
 * `cprNummer` of about 2 700 random characters, which the contract makes valid (`string`, no
 * stricter), got 500. The CPR index of migration 0003 is therefore rebuilt over the md5 of the
 * number (32 characters whatever the number's length); queries compare the md5 first, which the
 * index answers, and then the number itself, so two numbers with one md5 cannot match each other.
 * The planner statistics of 0005 move to the same expression.
 *
 * Every other index over a request's value is bounded already: request_id is varchar(46) (printable
 * ASCII), ekstern_identifier a uuid, and jobcenter_kode at most 231 bytes (the routing key's 255-byte
 * limit, checked by the intake). client_id, client_cert_subject, the trace context and the rest of
 * the payload are in no index. docs/operations.md lists the indexes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index outbox_unredacted_cpr`.execute(db);
  await sql`
    create index outbox_unredacted_cpr_md5
      on outbox (md5(payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer'))
      where payload is not null and message_type = 'Ordningsnotifikation'`.execute(db);
  await sql`drop statistics outbox_cpr_statistics`.execute(db);
  await sql`
    create statistics outbox_cpr_md5_statistics
      on (md5(payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer')) from outbox`.execute(db);
  await sql`analyze outbox`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Fails (54000) while a payload holds a CPR number too long for the old index: redact it first.
  await sql`drop statistics outbox_cpr_md5_statistics`.execute(db);
  await sql`drop index outbox_unredacted_cpr_md5`.execute(db);
  await sql`
    create index outbox_unredacted_cpr on outbox ((payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer'))
      where payload is not null and message_type = 'Ordningsnotifikation'`.execute(db);
  await sql`
    create statistics outbox_cpr_statistics
      on ((payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer')) from outbox`.execute(db);
  await sql`analyze outbox`.execute(db);
}

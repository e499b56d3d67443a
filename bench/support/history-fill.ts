/**
 * The history the benches measure on, in one place: delivered rows received over the last 60 days
 * (npm run bench:growth fills 10 000 then 1 000 000; npm run bench:console a million), a steady
 * undelivered set, and values that exist in it to look up. bench/explorer-timings.ts adds what
 * the operators' and auditors' questions need on top (GDPR notices, failures, an action log).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import type { TestDatabase } from '../../test/support/postgres';

/** Inserts rows [from, to) as delivered, received over the last 60 days in seq order; ~1 KB payload each. */
export async function insertDelivered(pool: pg.Pool, from: number, to: number): Promise<void> {
  const chunk = 100_000;
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk);
    await pool.query(
      `with appended as (
         insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                             registrerings_dato, aendringstype, client_id, received_at, exchange, routing_key, payload)
         ${deliveredRowsSelect}
         returning seq, received_at)
       insert into outbox_delivery (seq, delivered_at, attempts)
       select seq, received_at + interval '200 milliseconds', 1 from appended`,
      [start, end, to],
    );
  }
}

/**
 * Rows [$1, $2) of $3 as outbox columns up to the payload, received over the last 60 days in seq
 * order; ~1 KB payload each. Shared by the new schema's fill and the old one's (migration cost).
 */
export const deliveredRowsSelect = `
  select md5('m' || i)::uuid, 'bench-' || i, 'Ordningsnotifikation', md5('e' || (i / 3))::uuid,
         lpad(((i % 98) + 101)::text, 3, '0') || '01',
         ts, case when i % 3 = 0 then 'Oprettelse' else 'Opdatering' end, 'vitas',
         ts, 'virksomhedsordning.webservicebesked', 'ordningsnotifikation.' || lpad(((i % 98) + 101)::text, 3, '0') || '01',
         jsonb_build_object('ordningsnotifikation', jsonb_build_object(
           'eksternIdentifier', md5('e' || (i / 3))::uuid, 'jobCenterKode', '10101', 'erOprettelse', i % 3 = 0,
           'registreringsDato', ts,
           'body', jsonb_build_object('cprNummer', lpad((i % 5000000)::text, 10, '0'), 'cvrNummer', '12345678',
             'ansvarligMedarbejderEmail', 'sagsbehandler@jobcenter.example', 'jobtilbud', 1,
             'vitasDybtLink', 'https://vitas.example/sag/' || i, 'note', repeat(md5(i::text), 24))))
    from (select i, now() - interval '60 days' * (1 - i::float8 / $3) as ts
            from generate_series($1::bigint, $2::bigint - 1) i) g`;

export async function undeliveredSet(pool: pg.Pool): Promise<void> {
  await pool.query(`
    with gone as (delete from outbox_pending returning seq)
    delete from outbox where seq in (select seq from gone)`);
  await pool.query(
    `with appended as (
       insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                           aendringstype, client_id, received_at, exchange, routing_key, payload)
       select gen_random_uuid(), 'bench-undelivered-' || i || '-' || $1, 'Ordningsnotifikation',
              md5('u' || (i / 2))::uuid, '10101', now(), 'Opdatering', 'vitas', now(),
              'virksomhedsordning.webservicebesked', 'ordningsnotifikation.10101',
              jsonb_build_object('note', repeat(md5(i::text), 24))
         from generate_series(0, 204) i
       returning seq, ekstern_identifier, received_at, request_id)
     insert into outbox_pending (seq, ekstern_identifier, received_at, parked, attempts)
     select seq, ekstern_identifier, received_at, n < 5, case when n < 5 then 9 else 0 end
       from (select *, row_number() over (order by seq) - 1 as n from appended) a`,
    [randomUUID().slice(0, 8)],
  );
}

/** Values that exist in a history of `rows` delivered rows, to look up (the middle row's). */
export interface HistorySamples {
  readonly messageId: string;
  readonly requestId: string;
  readonly eksternIdentifier: string;
  /** The oldest undelivered message. */
  readonly undeliveredMessageId: string;
}

export async function historySamples(database: TestDatabase, rows: number): Promise<HistorySamples> {
  const middle = Math.floor(rows / 2);
  const { rows: found } = await sql<{ message_id: string; ekstern_identifier: string; undelivered: string }>`
    select o.message_id::text, o.ekstern_identifier::text,
           (select message_id::text from outbox where seq = (select min(seq) from outbox_pending)) as undelivered
      from outbox o where o.request_id = ${`bench-${middle}`}`.execute(database.db);
  const row = found[0];
  if (row === undefined) throw new Error(`no row bench-${middle} in the history`);
  return {
    messageId: row.message_id,
    requestId: `bench-${middle}`,
    eksternIdentifier: row.ekstern_identifier,
    undeliveredMessageId: row.undelivered,
  };
}

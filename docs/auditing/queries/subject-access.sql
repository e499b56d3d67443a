-- Query: messages about one CPR number whose payload is still held (a subject access request)
-- Run: psql "host=… dbname=… user=…" -v cpr=… -f subject-access.sql
select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, received_at, status,
       delivered_at
  from outbox_audit
 where message_type = 'Ordningsnotifikation' and payload is not null
   and md5(payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer') = md5(:'cpr')
   and payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer' = :'cpr'
union all
select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, received_at, status,
       delivered_at
  from outbox_audit
 where message_type = 'GdprSlettetNotifikation' and payload is not null
   and payload -> 'gdprSlettetNotifikation' -> 'body' -> 'cprNumre' ? :'cpr'
 order by received_at;

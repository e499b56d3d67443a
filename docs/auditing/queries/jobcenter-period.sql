-- Query: every message for one jobcenter in a period
-- Run: psql "host=… dbname=… user=…" -v from=… -v jobcenter=… -v to=… -f jobcenter-period.sql
select message_id, request_id, message_type, aendringstype, ekstern_identifier, registrerings_dato,
       client_id, received_at, status, delivered_at, redacted_at
  from outbox_audit
 where jobcenter_kode = :'jobcenter'
   and received_at >= :'from'::timestamptz
   and received_at <  :'to'::timestamptz
 order by received_at, seq;

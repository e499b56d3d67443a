-- Query: everything about one call (x-requestId)
-- Run: psql "host=… dbname=… user=…" -v request_id=… -f request.sql
select *
  from outbox_audit
 where request_id = :'request_id';

-- Query: everything about one entity (eksternIdentifier), in acceptance order
-- Run: psql "host=… dbname=… user=…" -v ekstern_identifier=… -f entity.sql
select *
  from outbox_audit
 where ekstern_identifier = lower(:'ekstern_identifier')::uuid
 order by seq;

-- Query: delivery latency percentiles per day (Danish calendar days), in seconds
-- Run: psql "host=… dbname=… user=…" -v from=… -v to=… -f delivery-latency-per-day.sql
select (received_at at time zone 'Europe/Copenhagen')::date as day,
       count(*) as delivered,
       round(percentile_cont(0.50) within group (order by extract(epoch from delivered_at - received_at))::numeric, 3) as p50,
       round(percentile_cont(0.95) within group (order by extract(epoch from delivered_at - received_at))::numeric, 3) as p95,
       round(percentile_cont(0.99) within group (order by extract(epoch from delivered_at - received_at))::numeric, 3) as p99,
       round(max(extract(epoch from delivered_at - received_at))::numeric, 3) as max
  from outbox_audit
 where status = 'delivered'
   and received_at >= :'from'::timestamptz
   and received_at <  :'to'::timestamptz
 group by 1
 order by 1;

/**
 * Part of npm run bench:growth: every OutboxExplorer question, timed through KyselyOutboxExplorer
 * (which runs the SQL modules of src/adapters/postgres/sql/, the statements production runs) on
 * the growth bench's database. Adds what the growth bench's rows lack for these questions first:
 * GDPR notices (erased and waiting), failing undelivered rows, and an action log.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { KyselyOutboxExplorer } from '../src/adapters/postgres/kysely-outbox-explorer';
import type { OutboxExplorer } from '../src/application/operations/ports';
import type { TestDatabase } from '../test/support/postgres';

export interface Timing {
  readonly median: number;
  readonly p95: number;
  readonly rows: number;
}

export async function timeCall(work: () => Promise<number>, repeat: number): Promise<Timing> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < repeat; i++) {
    const started = process.hrtime.bigint();
    rows = await work();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] ?? 0,
    p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)] ?? 0,
    rows,
  };
}

/**
 * GDPR notices across the history (`notices`, delivered and done, each having erased one earlier
 * row), the 50 newest (a whole /gdpr page) still waiting for an undelivered row, failing rows in outbox_pending, and an
 * action log of `actions` single parks plus one bulk replay of 200 messages.
 */
export async function addExplorerData(
  database: TestDatabase,
  notices = 5000,
  actions = 10_000,
): Promise<void> {
  const pool = database.pool;
  const tag = randomUUID().slice(0, 8);
  await pool.query(
    `with appended as (
       insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                           aendringstype, client_id, received_at, exchange, routing_key, payload, redacted_at)
       select gen_random_uuid(), 'bench-gdpr-' || $2 || '-' || i, 'GdprSlettetNotifikation', md5('e' || (i * 97))::uuid,
              '10101', ts, 'Sletning', 'vitas', ts, 'virksomhedsordning.webservicebesked',
              'gdprslettetnotifikation.10101', null, ts + interval '1 minute'
         from (select i, now() - interval '60 days' * (1 - i::float8 / $1) as ts from generate_series(1, $1) i) g
       returning seq, message_id, received_at)
     insert into outbox_delivery (seq, delivered_at, attempts, payload_held, redaction_reason, redacted_by)
     select seq, received_at + interval '1 second', 1, false, 'gdpr', message_id from appended`,
    [notices, tag],
  );
  // Each done notice erased one earlier delivered row, spread over the history.
  await pool.query(
    `with n as (select message_id, row_number() over (order by seq) * 97 as target
                  from outbox where message_type = 'GdprSlettetNotifikation' and request_id like 'bench-gdpr-' || $1 || '-%'),
          erased as (update outbox o set payload = null, redacted_at = now() from n
                      where o.seq = n.target and o.payload is not null and o.message_type = 'Ordningsnotifikation'
                     returning o.seq, n.message_id)
     update outbox_delivery d set payload_held = false, redaction_reason = 'gdpr', redacted_by = e.message_id
       from erased e where d.seq = e.seq`,
    [tag],
  );
  // The 50 newest notices wait, each for an entity of the undelivered set: the console's whole
  // first /gdpr page asks what each waits for.
  await pool.query(
    `with appended as (
       insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
                           aendringstype, client_id, received_at, exchange, routing_key, payload)
       select gen_random_uuid(), 'bench-gdpr-waiting-' || $1 || '-' || i, 'GdprSlettetNotifikation', md5('u' || i)::uuid,
              '10101', now(), 'Sletning', 'vitas', now(), 'virksomhedsordning.webservicebesked',
              'gdprslettetnotifikation.10101',
              jsonb_build_object('gdprSlettetNotifikation', jsonb_build_object('eksternIdentifier', md5('u' || i)::uuid,
                'body', jsonb_build_object('cprNumre', jsonb_build_array('0000001000'),
                                           'slettedeExternalIdentifiers', jsonb_build_array())))
         from generate_series(1, 50) i
       returning seq)
     insert into outbox_delivery (seq, delivered_at, attempts) select seq, now(), 1 from appended`,
    [tag],
  );
  // Failing rows: the relay's errors, with ids and numbers in them.
  await pool.query(
    `update outbox_pending set attempts = greatest(attempts, 1),
            last_error = case seq % 3
              when 0 then 'timeout: no confirm within ' || (seq % 5000) || ' ms for ' || gen_random_uuid()
              when 1 then 'nack: channel 0x' || to_hex(seq) || ' closed'
              else 'unroutable: no queue bound for routing key ordningsnotifikation.' || (seq % 98 + 101) || '01' end
      where seq % 4 = 0 or parked`,
  );
  await pool.query(
    `with parks as (
       insert into operator_action (action, message_id, actor, reason, at, details)
       select 'park', o.message_id, 'ops-' || (i % 7), 'bench', now() - interval '30 days' * (1 - i::float8 / $1), '{}'
         from generate_series(1, $1) i
         join outbox o on o.seq = (i * 37) % 1000000 + 1
       returning id, message_id)
     insert into operator_action_target (action_id, message_id) select id, message_id from parks`,
    [actions],
  );
  await pool.query(
    `with bulk as (
       insert into operator_action (action, actor, reason, details)
       values ('replay', 'ops-1', 'bench bulk', '{"scope":"all-parked","count":200}') returning id)
     insert into operator_action_target (action_id, message_id)
     select bulk.id, o.message_id from bulk, outbox o where o.seq between 5000 and 5199`,
  );
  await sql`vacuum analyze outbox, outbox_pending, outbox_delivery, operator_action, operator_action_target`.execute(
    database.db,
  );
}

/** Times each question `repeat` times; prints median and p95, and returns the slowest p95. */
export async function measureExplorer(database: TestDatabase, repeat: number): Promise<number> {
  await addExplorerData(database);
  const explorer: OutboxExplorer = new KyselyOutboxExplorer(database.db);
  const pool = database.pool;
  const one = async (query: string) => (await pool.query<{ v: string }>(query)).rows[0]!.v;
  const requestId = await one(`select request_id as v from outbox
                                 where seq = (select (max(seq) * 0.6)::bigint from outbox_delivery)`);
  const messageId = await one(`select message_id::text as v from outbox where request_id = '${requestId}'`);
  const entity = await one(
    `select ekstern_identifier::text as v from outbox where request_id = '${requestId}'`,
  );
  const blockedEntity = await one(
    `select ekstern_identifier::text as v from outbox_pending where parked order by seq limit 1`,
  );
  const parkedMessage =
    await one(`select message_id::text as v from outbox o join outbox_pending p using (seq)
                                    where p.parked order by seq desc limit 1`);
  const actedOn = await one(`select message_id::text as v from operator_action_target
                              where action_id = (select max(id) from operator_action) limit 1`);
  const day = 86_400_000;
  const monthAgo = new Date(Date.now() - 30 * day);
  const weekWindow = { receivedFrom: new Date(monthAgo.getTime() - 7 * day), receivedTo: monthAgo };
  const secondPage = (await explorer.search({ limit: 50 })).next ?? undefined;
  const groups = await explorer.failureGroups();
  const largest = groups[0]?.fingerprint ?? '0'.repeat(32);
  const notices = (await explorer.erasureNotices(undefined, 20)).next ?? undefined;
  const doneNotices = (await explorer.erasureNotices(undefined, 50)).next ?? undefined;

  const page = async (p: Promise<{ items: readonly unknown[] }>) => (await p).items.length;
  const list = async (p: Promise<readonly unknown[]>) => (await p).length;
  const questions: Array<[string, () => Promise<number>]> = [
    [
      'search: default list (undelivered), 50',
      () => page(explorer.search({ status: 'undelivered', limit: 50 })),
    ],
    ['search: everything, newest 50', () => page(explorer.search({ limit: 50 }))],
    ['search: everything, second page', () => page(explorer.search({ limit: 50, after: secondPage }))],
    ['search: requestId', () => page(explorer.search({ requestId, limit: 50 }))],
    ['search: messageId', () => page(explorer.search({ messageId, limit: 50 }))],
    ['search: eksternIdentifier', () => page(explorer.search({ eksternIdentifier: entity, limit: 50 }))],
    ['search: jobCenterKode', () => page(explorer.search({ jobCenterKode: '15101', limit: 50 }))],
    [
      'search: jobCenterKode with no rows',
      () => page(explorer.search({ jobCenterKode: '99999', limit: 50 })),
    ],
    ['search: kind GDPR', () => page(explorer.search({ kind: 'GdprSlettetNotifikation', limit: 50 }))],
    [
      'search: kind Ordningsnotifikation',
      () => page(explorer.search({ kind: 'Ordningsnotifikation', limit: 50 })),
    ],
    ['search: status delivered', () => page(explorer.search({ status: 'delivered', limit: 50 }))],
    ['search: status parked', () => page(explorer.search({ status: 'parked', limit: 50 }))],
    ['search: blocked', () => page(explorer.search({ blocked: true, limit: 50 }))],
    ['search: received in a week a month ago', () => page(explorer.search({ ...weekWindow, limit: 50 }))],
    [
      'search: jobCenterKode + week + delivered',
      () => page(explorer.search({ ...weekWindow, jobCenterKode: '15101', status: 'delivered', limit: 50 })),
    ],
    [
      'search: kind GDPR + week',
      () => page(explorer.search({ ...weekWindow, kind: 'GdprSlettetNotifikation', limit: 50 })),
    ],
    ['detail: by requestId', () => list(explorer.detail(requestId))],
    ['detail: a parked message (park from the log)', () => list(explorer.detail(parkedMessage))],
    ['entity: one entity', () => page(explorer.entity(entity, undefined, 50))],
    ['entity: a blocked entity', () => page(explorer.entity(blockedEntity, undefined, 50))],
    ['failureGroups', () => list(explorer.failureGroups())],
    ['failureGroupMembers: largest group', () => list(explorer.failureGroupMembers(largest))],
    ['actions: newest 50', () => page(explorer.actions({ limit: 50 }))],
    ['actions: of one message', () => page(explorer.actions({ messageId: actedOn, limit: 50 }))],
    ['actions: by actor', () => page(explorer.actions({ actor: 'ops-3', limit: 50 }))],
    [
      'actions: since a week ago',
      () => page(explorer.actions({ since: new Date(Date.now() - 7 * day), limit: 50 })),
    ],
    ['erasureNotices: newest 50 (all waiting)', () => page(explorer.erasureNotices(undefined, 50))],
    ['erasureNotices: next 20 (waiting)', () => page(explorer.erasureNotices(notices, 20))],
    ['erasureNotices: 50 after the waiting (done)', () => page(explorer.erasureNotices(doneNotices, 50))],
    ['subjectAccess: one CPR number', () => list(explorer.subjectAccess('0000123456'))],
    [
      'deliveriesPerMinute: last 3 hours',
      () => list(explorer.deliveriesPerMinute(new Date(Date.now() - 3 * 3600_000))),
    ],
    [
      'deliveriesPerMinute: last 24 hours',
      () => list(explorer.deliveriesPerMinute(new Date(Date.now() - day))),
    ],
    ['connectedProcesses', () => list(explorer.connectedProcesses())],
  ];
  let slowest = 0;
  for (const [title, work] of questions) {
    const t = await timeCall(work, repeat);
    slowest = Math.max(slowest, t.p95);
    console.log(
      `  explorer: ${title.padEnd(48)} median ${t.median.toFixed(2)} ms, p95 ${t.p95.toFixed(2)} ms (${t.rows} rows)`,
    );
  }
  console.log(`  explorer: slowest p95 ${slowest.toFixed(2)} ms (target ≤ 100 ms)`);
  return slowest;
}

import { type Kysely, sql } from 'kysely';
import type {
  ActionSearch,
  ConnectedProcess,
  DeliveryMinute,
  EntryDetail,
  ErasureNotice,
  FailureGroup,
  OutboxEntry,
  OutboxExplorer,
  OutboxSearch,
  Page,
  RecordedAction,
} from '../../application/operations/ports';
import { holdOf, traceIdOf } from '../../application/operations/entry-hold';
import { translateUnavailable } from './connection';
import type { Database } from './database';
import { DeliveryMinutes } from './delivery-minutes';
import { type EntryRow, selectEntries, toEntry, UUID } from './kysely-outbox-read-model';
import { type ActionRow, actionsById, searchActions } from './sql/action-log';
import { CONNECTED_PROCESSES } from './sql/connected-processes';
import { deliveriesPerMinute } from './sql/deliveries-per-minute';
import { entityHeads, entitySeqs, lastParkOrReplay } from './sql/entity-seqs';
import { erasedCounts, erasureWaiting } from './sql/erasure-progress';
import { FAILURE_GROUPS, failureGroupSeqs } from './sql/failure-groups';
import { pageLimit, searchOutboxSeqs, SEQ } from './sql/search-outbox';
import { subjectAccessSeqs } from './sql/subject-access';

const FINGERPRINT = /^[0-9a-f]{32}$/i;
const PROCESS_PID = / pid ([0-9]+)$/;

/**
 * The operators' and auditors' questions over PostgreSQL. Each SQL statement lives in its own
 * module under sql/ (the benches time the same ones); this class runs them, loads the entries they
 * find through the read model's selectEntries, and works out what each message waits for.
 */
export class KyselyOutboxExplorer implements OutboxExplorer {
  private readonly deliveryMinutes = new DeliveryMinutes();

  constructor(private readonly db: Kysely<Database>) {}

  search(search: OutboxSearch): Promise<Page<OutboxEntry>> {
    return this.guard(async () => {
      const query = searchOutboxSeqs(search);
      if (query === undefined) return { items: [], next: null };
      const { rows } = await query.execute(this.db);
      const page = pageOf(
        rows.map((r) => r.seq),
        pageLimit(search.limit),
      );
      const entries = await this.entries(page.items);
      return { items: entries.map(toEntry), next: page.next };
    });
  }

  detail(id: string): Promise<EntryDetail[]> {
    return this.guard(async () => {
      const where = UUID.test(id)
        ? sql`(o.message_id = ${id.toLowerCase()}::uuid or o.request_id = ${id})`
        : sql`o.request_id = ${id}`;
      const { rows } = await selectEntries(where).execute(this.db);
      return this.details(rows);
    });
  }

  entity(eksternIdentifier: string, after: string | undefined, limit: number): Promise<Page<EntryDetail>> {
    return this.guard(async () => {
      if (!UUID.test(eksternIdentifier) || (after !== undefined && !SEQ.test(after))) {
        return { items: [], next: null };
      }
      const { rows } = await entitySeqs(eksternIdentifier, after, pageLimit(limit)).execute(this.db);
      const page = pageOf(
        rows.map((r) => r.seq),
        pageLimit(limit),
      );
      return { items: await this.details(await this.entries(page.items)), next: page.next };
    });
  }

  failureGroups(): Promise<FailureGroup[]> {
    return this.guard(async () => {
      const { rows } = await FAILURE_GROUPS.execute(this.db);
      return rows.map((r) => ({
        fingerprint: r.fingerprint,
        error: r.error,
        count: r.count,
        parked: r.parked,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
      }));
    });
  }

  failureGroupMembers(fingerprint: string): Promise<OutboxEntry[]> {
    return this.guard(async () => {
      if (!FINGERPRINT.test(fingerprint)) return [];
      const { rows } = await failureGroupSeqs(fingerprint).execute(this.db);
      return (await this.entries(rows.map((r) => r.seq))).map(toEntry);
    });
  }

  actions(search: ActionSearch): Promise<Page<RecordedAction>> {
    return this.guard(async () => {
      if (
        (search.messageId !== undefined && !UUID.test(search.messageId)) ||
        (search.after !== undefined && !SEQ.test(search.after))
      ) {
        return { items: [], next: null };
      }
      const limit = pageLimit(search.limit);
      const { rows } = await searchActions(search, limit).execute(this.db);
      const items = rows.slice(0, limit).map(toRecordedAction);
      return { items, next: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
    });
  }

  erasureNotices(after: string | undefined, limit: number): Promise<Page<ErasureNotice>> {
    return this.guard(async () => {
      const notices = await this.search({ kind: 'GdprSlettetNotifikation', after, limit });
      if (notices.items.length === 0) return { items: [], next: notices.next };
      const { rows } = await erasedCounts(notices.items.map((n) => n.messageId)).execute(this.db);
      const erased = new Map(rows.map((r) => [r.notice, r.erased]));
      const open = notices.items.filter((n) => n.redactedAt === null).map((n) => n.messageId);
      const waiting = new Map<string, number>();
      if (open.length > 0) {
        for (const r of (await erasureWaiting(open).execute(this.db)).rows) waiting.set(r.notice, r.waiting);
      }
      const items = notices.items.map((entry) => ({
        entry,
        erased: erased.get(entry.messageId) ?? 0,
        waiting: waiting.get(entry.messageId) ?? 0,
        done: entry.redactedAt !== null,
      }));
      return { items, next: notices.next };
    });
  }

  subjectAccess(cprNummer: string): Promise<OutboxEntry[]> {
    return this.guard(async () => {
      const { rows } = await subjectAccessSeqs(cprNummer).execute(this.db);
      return (await this.entries(rows.map((r) => r.seq))).map(toEntry);
    });
  }

  deliveriesPerMinute(since: Date): Promise<DeliveryMinute[]> {
    return this.guard(() =>
      this.deliveryMinutes.since(since, new Date(), async (from, before) => {
        const { rows } = await deliveriesPerMinute(from, before).execute(this.db);
        return rows.map((r) => ({
          minute: r.minute,
          delivered: r.delivered,
          delayP50Seconds: r.p50 === null ? null : Number(r.p50),
          delayP95Seconds: r.p95 === null ? null : Number(r.p95),
        }));
      }),
    );
  }

  connectedProcesses(): Promise<ConnectedProcess[]> {
    return this.guard(async () => {
      const { rows } = await CONNECTED_PROCESSES.execute(this.db);
      return rows.map((r) => {
        const pid = PROCESS_PID.exec(r.application_name)?.[1];
        return {
          applicationName: r.application_name,
          clientAddress: r.client_address,
          pid: pid === undefined ? null : Number(pid),
          connections: r.connections,
          since: r.since,
        };
      });
    });
  }

  /** The rows of `seqs`, in that order. */
  private async entries(seqs: readonly string[]): Promise<EntryRow[]> {
    if (seqs.length === 0) return [];
    const { rows } = await selectEntries(sql`o.seq = any(${[...seqs]}::bigint[])`).execute(this.db);
    const bySeq = new Map(rows.map((r) => [String(r.seq), r]));
    return seqs.map((seq) => bySeq.get(seq)).filter((r): r is EntryRow => r !== undefined);
  }

  /** Each row with what it waits for: its entity's head and, for a parked row, the park. */
  private async details(rows: readonly EntryRow[]): Promise<EntryDetail[]> {
    const waiting = rows.filter((r) => r.status === 'pending');
    const heads = new Map<string, EntryRow>();
    if (waiting.length > 0) {
      const { rows: headSeqs } = await entityHeads([
        ...new Set(waiting.map((r) => r.ekstern_identifier)),
      ]).execute(this.db);
      for (const head of await this.entries(headSeqs.map((h) => String(h.seq)))) {
        heads.set(head.ekstern_identifier, head);
      }
    }
    const parked = [...rows, ...heads.values()].filter((r) => r.status === 'parked').map((r) => r.message_id);
    const parks = await this.parks(parked);
    const now = new Date();
    return rows.map((row) => {
      const head = heads.get(row.ekstern_identifier);
      return {
        entry: toEntry(row),
        hold: holdOf(toEntry(row), head && toEntry(head), (id) => parks.get(id) ?? null, now),
        traceId: traceIdOf(row.traceparent),
        redaction:
          row.redaction_reason === null
            ? null
            : { reason: row.redaction_reason, byMessageId: row.redacted_by },
      };
    });
  }

  /** The park action of each parked message whose last replay-or-park is a park. */
  private async parks(messageIds: readonly string[]): Promise<Map<string, RecordedAction>> {
    if (messageIds.length === 0) return new Map();
    const { rows: last } = await lastParkOrReplay(messageIds).execute(this.db);
    const parkIds = last.filter((l) => l.action === 'park');
    if (parkIds.length === 0) return new Map();
    const { rows } = await actionsById(parkIds.map((l) => String(l.id))).execute(this.db);
    const byId = new Map(rows.map((r) => [String(r.id), toRecordedAction(r)]));
    return new Map(
      parkIds.flatMap((l) => {
        const action = byId.get(String(l.id));
        return action === undefined ? [] : [[l.message_id, action] as const];
      }),
    );
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      return translateUnavailable(error);
    }
  }
}

/** `limit` of `keys` fetched one over the limit, and the key to go on from when there are more. */
function pageOf(keys: readonly string[], limit: number): { items: string[]; next: string | null } {
  const items = keys.slice(0, limit).map(String);
  return { items, next: keys.length > limit ? (items.at(-1) ?? null) : null };
}

function toRecordedAction(row: ActionRow): RecordedAction {
  return {
    id: String(row.id),
    action: row.action,
    messageId: row.message_id,
    requestId: row.request_id,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
    dryRun: row.dry_run,
    details: row.details as RecordedAction['details'],
    messageIds: row.message_ids,
  };
}

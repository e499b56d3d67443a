import { createHash } from 'node:crypto';
import type { Clock } from '../../../src/application/intake/ports';
import { holdOf, traceIdOf } from '../../../src/application/operations/entry-hold';
import { normaliseError } from '../../../src/application/operations/error-fingerprint';
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
} from '../../../src/application/operations/ports';
import { type InMemoryOperations, type InMemoryRowState, objectAt } from './in-memory-operations';

type Row = ReturnType<InMemoryOperations['rows']>[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The OutboxExplorer in memory, over the rows and the action log of an `InMemoryOperations`: the
 * same contract as KyselyOutboxExplorer (test/support/outbox-explorer-contract.ts). The action log's
 * ids are positions in `operations.actions`; connected processes are whatever the test sets.
 */
export class InMemoryOutboxExplorer implements OutboxExplorer {
  processes: ConnectedProcess[] = [];

  constructor(
    private readonly operations: InMemoryOperations,
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  search(search: OutboxSearch): Promise<Page<OutboxEntry>> {
    const blockedEntities = this.blockedEntities();
    const matches = (row: Row): boolean => {
      const { message, entry } = row;
      if (search.requestId !== undefined && message.requestId !== search.requestId) return false;
      if (search.messageId !== undefined && message.messageId !== search.messageId.toLowerCase())
        return false;
      if (
        search.eksternIdentifier !== undefined &&
        (!UUID.test(search.eksternIdentifier) ||
          message.eksternIdentifier !== search.eksternIdentifier.toLowerCase())
      ) {
        return false;
      }
      if (search.jobCenterKode !== undefined && message.jobCenterKode !== search.jobCenterKode) return false;
      if (search.kind !== undefined && message.kind !== search.kind) return false;
      if (
        search.status === 'undelivered'
          ? entry.status === 'delivered'
          : search.status !== undefined && entry.status !== search.status
      ) {
        return false;
      }
      if (
        search.blocked === true &&
        (entry.status === 'delivered' || !blockedEntities.has(message.eksternIdentifier))
      ) {
        return false;
      }
      if (search.receivedFrom !== undefined && message.receivedAt < search.receivedFrom) return false;
      if (search.receivedTo !== undefined && message.receivedAt >= search.receivedTo) return false;
      return true;
    };
    const ordered = this.operations
      .rows()
      .filter(matches)
      .sort((a, b) => newestFirst(a.entry, b.entry));
    let start = 0;
    if (search.after !== undefined) {
      const last = this.operations.rows().find((r) => r.entry.seq === search.after);
      if (last === undefined) return Promise.resolve({ items: [], next: null });
      start = ordered.findIndex((r) => newestFirst(r.entry, last.entry) > 0);
      if (start < 0) start = ordered.length;
    }
    return Promise.resolve(
      page(
        ordered.slice(start).map((r) => r.entry),
        pageLimit(search.limit),
        (e) => e.seq,
      ),
    );
  }

  detail(id: string): Promise<EntryDetail[]> {
    const byMessageId = UUID.test(id) ? id.toLowerCase() : undefined;
    const rows = this.operations
      .rows()
      .filter((r) => r.message.messageId === byMessageId || r.message.requestId === id);
    return Promise.resolve(rows.map((r) => this.detailOf(r)));
  }

  entity(eksternIdentifier: string, after: string | undefined, limit: number): Promise<Page<EntryDetail>> {
    const rows = this.operations
      .rows()
      .filter(
        (r) =>
          r.message.eksternIdentifier === eksternIdentifier.toLowerCase() &&
          (after === undefined || BigInt(r.entry.seq) > BigInt(after)),
      );
    return Promise.resolve(
      page(
        rows.map((r) => this.detailOf(r)),
        pageLimit(limit),
        (d) => d.entry.seq,
      ),
    );
  }

  failureGroups(): Promise<FailureGroup[]> {
    const groups = new Map<string, { error: string; members: Row[] }>();
    for (const row of this.failing()) {
      const error = normaliseError(row.entry.lastError ?? '');
      const group = groups.get(error) ?? { error, members: [] };
      group.members.push(row);
      groups.set(error, group);
    }
    return Promise.resolve(
      [...groups.values()]
        .map(({ error, members }) => ({
          fingerprint: fingerprintOf(error),
          error,
          count: members.length,
          parked: members.filter((m) => m.entry.status === 'parked').length,
          firstSeen: new Date(Math.min(...members.map((m) => m.message.receivedAt.getTime()))),
          lastSeen: new Date(Math.max(...members.map((m) => m.message.receivedAt.getTime()))),
        }))
        .sort((a, b) => b.count - a.count || a.fingerprint.localeCompare(b.fingerprint)),
    );
  }

  failureGroupMembers(fingerprint: string): Promise<OutboxEntry[]> {
    return Promise.resolve(
      this.failing()
        .filter((r) => fingerprintOf(normaliseError(r.entry.lastError ?? '')) === fingerprint.toLowerCase())
        .map((r) => r.entry),
    );
  }

  actions(search: ActionSearch): Promise<Page<RecordedAction>> {
    const messageId = search.messageId?.toLowerCase();
    const all = this.recordedActions()
      .filter(
        (a) =>
          (messageId === undefined || a.messageIds.includes(messageId)) &&
          (search.actor === undefined || a.actor === search.actor) &&
          (search.action === undefined || a.action === search.action) &&
          (search.since === undefined || a.at >= search.since) &&
          (search.after === undefined || BigInt(a.id) < BigInt(search.after)),
      )
      .reverse();
    return Promise.resolve(page(all, pageLimit(search.limit), (a) => a.id));
  }

  async erasureNotices(after: string | undefined, limit: number): Promise<Page<ErasureNotice>> {
    const notices = await this.search({ kind: 'GdprSlettetNotifikation', after, limit });
    const states = this.operations.rows().map((r) => r.state);
    return {
      items: notices.items.map((entry) => ({
        entry,
        erased:
          states.filter((s) => s.redactedBy === entry.messageId).length - (entry.redactedAt === null ? 0 : 1),
        waiting: entry.redactedAt === null ? this.operations.erasureWaiting(entry.messageId) : 0,
        done: entry.redactedAt !== null,
      })),
      next: notices.next,
    };
  }

  subjectAccess(cprNummer: string): Promise<OutboxEntry[]> {
    return Promise.resolve(
      this.operations
        .rows()
        .filter(({ message, state }) => {
          if (state.redactedAt !== null) return false;
          if (message.kind === 'Ordningsnotifikation') {
            return objectAt(message.payload, 'ordningsnotifikation', 'body')?.['cprNummer'] === cprNummer;
          }
          const cprNumre = objectAt(message.payload, 'gdprSlettetNotifikation', 'body')?.['cprNumre'];
          return Array.isArray(cprNumre) && cprNumre.includes(cprNummer);
        })
        .map((r) => r.entry),
    );
  }

  deliveriesPerMinute(since: Date): Promise<DeliveryMinute[]> {
    const minutes = new Map<number, number[]>();
    for (const { message, state } of this.operations.rows()) {
      if (state.status !== 'delivered' || state.deliveredAt === null || state.deliveredAt < since) continue;
      const minute = Math.floor(state.deliveredAt.getTime() / 60_000) * 60_000;
      const delays = minutes.get(minute) ?? [];
      delays.push((state.deliveredAt.getTime() - message.receivedAt.getTime()) / 1000);
      minutes.set(minute, delays);
    }
    return Promise.resolve(
      [...minutes.entries()]
        .sort(([a], [b]) => a - b)
        .map(([minute, delays]) => ({
          minute: new Date(minute),
          delivered: delays.length,
          delayP50Seconds: percentile(delays, 0.5),
          delayP95Seconds: percentile(delays, 0.95),
        })),
    );
  }

  connectedProcesses(): Promise<ConnectedProcess[]> {
    return Promise.resolve([...this.processes]);
  }

  /** The action log as read back: ids by position, every message each action touched. */
  private recordedActions(): RecordedAction[] {
    return this.operations.actions.map((action, index) => ({
      ...action,
      id: String(index + 1),
      messageIds: [...new Set([action.messageId, ...(action.messageIds ?? [])])]
        .filter((id): id is string => id !== null)
        .map((id) => id.toLowerCase())
        .sort(),
    }));
  }

  private detailOf(row: Row): EntryDetail {
    const head = this.operations
      .rows()
      .find(
        (r) =>
          r.message.eksternIdentifier === row.message.eksternIdentifier && r.entry.status !== 'delivered',
      );
    return {
      entry: row.entry,
      hold: holdOf(row.entry, head?.entry, (id) => this.parkOf(id), this.clock.now()),
      traceId: traceIdOf(row.message.traceContext?.traceparent),
      redaction: redactionOf(row.state),
    };
  }

  /** The park that parked `messageId`, when the last replay or park (not a dry run) of it is one. */
  private parkOf(messageId: string): RecordedAction | null {
    const last = this.recordedActions()
      .filter(
        (a) =>
          !a.dryRun && (a.action === 'park' || a.action === 'replay') && a.messageIds.includes(messageId),
      )
      .at(-1);
    return last?.action === 'park' ? last : null;
  }

  /** Undelivered rows with a last error, oldest first. */
  private failing(): Row[] {
    return this.operations.rows().filter((r) => r.entry.status !== 'delivered' && r.entry.lastError !== null);
  }

  /** Entities whose oldest undelivered row is parked or has failed at least once. */
  private blockedEntities(): Set<string> {
    const heads = new Map<string, OutboxEntry>();
    for (const { entry } of this.operations.rows()) {
      if (entry.status !== 'delivered' && !heads.has(entry.eksternIdentifier))
        heads.set(entry.eksternIdentifier, entry);
    }
    return new Set(
      [...heads.values()]
        .filter((h) => h.status === 'parked' || h.attempts > 0)
        .map((h) => h.eksternIdentifier),
    );
  }
}

/** Newest first: received_at descending, then seq descending. */
function newestFirst(a: OutboxEntry, b: OutboxEntry): number {
  const byTime = b.receivedAt.getTime() - a.receivedAt.getTime();
  if (byTime !== 0) return byTime;
  return BigInt(b.seq) > BigInt(a.seq) ? 1 : BigInt(b.seq) < BigInt(a.seq) ? -1 : 0;
}

function page<T>(items: readonly T[], limit: number, key: (item: T) => string): Page<T> {
  const taken = items.slice(0, limit);
  const last = taken.at(-1);
  return { items: taken, next: items.length > limit && last !== undefined ? key(last) : null };
}

function pageLimit(limit: number): number {
  return Math.min(500, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 1)));
}

function fingerprintOf(error: string): string {
  return createHash('md5').update(error, 'utf8').digest('hex');
}

function redactionOf(state: InMemoryRowState): EntryDetail['redaction'] {
  return state.redactionReason === null
    ? null
    : { reason: state.redactionReason, byMessageId: state.redactedBy };
}

/** PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks. */
function percentile(values: readonly number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = fraction * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (rank - lower);
}

/**
 * The latency budget: where each message's time goes between its batch's commit and the consumer's
 * receipt, from the timestamps the intake and the relay record (LATENCY_TRACE_FILE,
 * src/adapters/latency-trace.ts) and the bench's own (the client's HTTP 200, the consumer's receipt).
 */
import { readFileSync } from 'node:fs';
import { percentile } from './figures';

/** A message as the bench saw it: ms since the epoch. */
export interface ObservedMessage {
  readonly messageId: string;
  /** When the client had its HTTP 200. */
  readonly okAt: number;
  readonly receivedAt: number;
}

/** The path's stages, in order; each segment is the time from the one before. */
export const STAGES = [
  'commit',
  'NOTIFY sent',
  'NOTIFY received',
  'claim started',
  'rows locked',
  'published',
  'consumer receipt',
] as const;

export interface BudgetRow {
  readonly segment: string;
  readonly p50: number;
  readonly p99: number;
}

export interface LatencyBudget {
  /** One row per segment of the path, then the side figures (HTTP 200, confirm, settle). */
  readonly rows: BudgetRow[];
  /** Messages found in every trace. */
  readonly traced: number;
  /** What ended the relay's wait before each message's claim: wake-up (NOTIFY or poll), a settle, none. */
  readonly wokenBy: Record<string, number>;
}

interface CommitEvent {
  event: 'commit';
  at: number;
  messageIds: string[];
}
interface NotifyEvent {
  event: 'notify';
  n: number;
  sentAt: number;
  doneAt: number;
}
interface NotifiedEvent {
  event: 'notified';
  n: string;
  at: number;
}
interface BatchEvent {
  event: 'batch';
  wokeAt: number;
  wokenBy: string;
  claimStartedAt: number;
  claimedAt: number;
  publishedAt: number;
  messages: Array<{ messageId: string; confirmedAt: number }>;
  settledAt: number;
}
type TraceEvent = CommitEvent | NotifyEvent | NotifiedEvent | BatchEvent;

function readTrace(path: string): TraceEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TraceEvent);
}

/** The budget of `messages` from the intake's and the relay's trace files. */
export function latencyBudget(
  messages: readonly ObservedMessage[],
  intakeTrace: string,
  relayTrace: string,
): LatencyBudget {
  const events = [...readTrace(intakeTrace), ...readTrace(relayTrace)];
  const committedAt = new Map<string, number>();
  const notifies: NotifyEvent[] = [];
  const notifiedAt = new Map<number, number>();
  const batchOf = new Map<string, { batch: BatchEvent; confirmedAt: number }>();
  for (const e of events) {
    if (e.event === 'commit') for (const id of e.messageIds) committedAt.set(id, e.at);
    else if (e.event === 'notify') notifies.push(e);
    else if (e.event === 'notified') notifiedAt.set(Number(e.n), e.at);
    else for (const m of e.messages) batchOf.set(m.messageId, { batch: e, confirmedAt: m.confirmedAt });
  }
  notifies.sort((x, y) => x.sentAt - y.sentAt);

  const segments: number[][] = STAGES.slice(1).map(() => []);
  const side = {
    http: [] as number[],
    confirm: [] as number[],
    settle: [] as number[],
    total: [] as number[],
  };
  const wokenBy: Record<string, number> = {};
  let traced = 0;
  for (const message of messages) {
    const commit = committedAt.get(message.messageId);
    const claimed = batchOf.get(message.messageId);
    if (commit === undefined || claimed === undefined) continue;
    const { batch, confirmedAt } = claimed;
    // The NOTIFY that covers this commit: the first one sent after it (the one in flight at the
    // commit was sent before the row was visible).
    const notify = firstAtOrAfter(notifies, commit);
    const received = notify === undefined ? undefined : notifiedAt.get(notify.n);
    // A claim that began before the commit (its statement's snapshot still saw the row) counts
    // from the commit; one that began before the NOTIFY arrived (woken by a settle, or busy) found
    // the row without it, and the NOTIFY stages end at the claim's start. So the segments are never
    // negative and add up to commit → consumer receipt.
    const claimStarted = Math.max(batch.claimStartedAt, commit);
    const sent = clamp(notify?.sentAt ?? claimStarted, commit, claimStarted);
    const stamps = [
      commit,
      sent,
      clamp(received ?? claimStarted, sent, claimStarted),
      claimStarted,
      Math.max(batch.claimedAt, claimStarted),
    ];
    stamps.push(Math.max(batch.publishedAt, stamps[4]!));
    stamps.push(Math.max(message.receivedAt, stamps[5]!));
    for (let i = 1; i < stamps.length; i++) segments[i - 1]!.push(stamps[i]! - stamps[i - 1]!);
    side.http.push(message.okAt - commit);
    side.confirm.push(confirmedAt - batch.publishedAt);
    side.settle.push(batch.settledAt - confirmedAt);
    side.total.push(message.receivedAt - commit);
    wokenBy[batch.wokenBy] = (wokenBy[batch.wokenBy] ?? 0) + 1;
    traced++;
  }
  const row = (segment: string, values: number[]): BudgetRow => {
    values.sort((x, y) => x - y);
    return { segment, p50: percentile(values, 50), p99: percentile(values, 99) };
  };
  return {
    rows: [
      ...segments.map((values, i) => row(`${STAGES[i]} → ${STAGES[i + 1]}`, values)),
      row('commit → consumer receipt (the sum)', side.total),
      row('commit → client has its HTTP 200 (beside the path)', side.http),
      row('published → confirmed (beside the path)', side.confirm),
      row('confirmed → settled (holds the claim)', side.settle),
    ],
    traced,
    wokenBy,
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function firstAtOrAfter(notifies: readonly NotifyEvent[], at: number): NotifyEvent | undefined {
  let low = 0;
  let high = notifies.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (notifies[mid]!.sentAt < at) low = mid + 1;
    else high = mid;
  }
  return notifies[low];
}

/** The budget as a Markdown table. */
export function budgetTable(budget: LatencyBudget): string {
  const lines = ['| segment | p50 ms | p99 ms |', '|---|---:|---:|'];
  for (const r of budget.rows) lines.push(`| ${r.segment} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
  return lines.join('\n');
}

import type { EntryDetail, Hold, OutboxStatistics, RecordedAction } from '../../application/operations/ports';
import type { RedactionReport } from '../../application/operations/redact-payloads';

// How the `outbox` commands print: plain text for people; `--json` prints the values as they are.

export function jsonOf(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d > 0 ? `${d}d` : '', h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', `${s % 60}s`];
  return parts.filter((p) => p !== '').join(' ');
}

const iso = (d: Date | null): string => (d === null ? '-' : d.toISOString());

export function formatStatistics(s: OutboxStatistics): string {
  const rows: Array<[string, string]> = [
    ['pending', String(s.countByStatus.pending)],
    ['parked', String(s.countByStatus.parked)],
    ['delivered', String(s.countByStatus.delivered)],
    ['oldest pending age', formatDuration(s.oldestPendingAgeSeconds)],
    ['oldest parked age', formatDuration(s.oldestParkedAgeSeconds)],
    [
      'blocked entities',
      `${s.blockedEntities}${s.blockedEntities > 0 ? '  (which, and why: outbox list --blocked)' : ''}`,
    ],
    ['gdpr erasures waiting', String(s.gdprErasuresWaiting)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(24)}${v}`).join('\n');
}

/** What a message waits for, in one line. */
export function describeHold(hold: Hold, now: Date): string {
  switch (hold._tag) {
    case 'Delivered':
      return 'nothing: delivered';
    case 'Due':
      return 'nothing: due now, the next claim takes it';
    case 'BackingOff':
      return `backoff after a failed publish: next attempt ${hold.until.toISOString()} (${relative(hold.until, now)})`;
    case 'Parked':
      return hold.parkedBy === null
        ? 'parked (no park in the action log: parked by the relay, or before the log): replay it to go on'
        : `parked by ${hold.parkedBy.actor} at ${hold.parkedBy.at.toISOString()}: "${hold.parkedBy.reason}"; replay it to go on`;
    case 'BlockedBy':
      return `blocked by ${hold.blocker.messageId} (request id ${hold.blocker.requestId}, seq ${hold.blocker.seq}), an earlier message of its entity, which waits for: ${describeHold(hold.blockerHold, now)}`;
    default: {
      const unknown: never = hold;
      throw new Error(`unhandled hold ${JSON.stringify(unknown)}`);
    }
  }
}

function relative(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  return seconds >= 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago, due now`;
}

/** `outbox show`: every field, then what it waits for. */
export function formatDetail(detail: EntryDetail, now: Date): string[] {
  const e = detail.entry;
  const rows: Array<[string, string]> = [
    ['message id', e.messageId],
    ['request id', e.requestId],
    ['type', e.kind],
    ['ekstern identifier', e.eksternIdentifier],
    ['jobcenter', e.jobCenterKode],
    ['aendringstype', e.aendringstype],
    ['registreringsdato', iso(e.registreringsDato)],
    ['client', e.clientId],
    ['client certificate', e.clientCertSubject ?? '-'],
    ['received', iso(e.receivedAt)],
    ['status', e.status],
    ['attempts', String(e.attempts)],
    ['last error', e.lastError ?? '-'],
    ['waits for', describeHold(detail.hold, now)],
    ['delivered', iso(e.deliveredAt)],
    ['exchange', e.exchange],
    ['routing key', e.routingKey],
    ['trace id', detail.traceId ?? '-'],
    ['redacted', redaction(detail)],
    ['seq', e.seq],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(21)}${v}`);
}

function redaction(detail: EntryDetail): string {
  if (detail.entry.redactedAt === null) return '-';
  const why = detail.redaction;
  const reason =
    why === null
      ? ''
      : why.reason === 'gdpr'
        ? ` (gdpr${why.byMessageId === null ? '' : `, erased by ${why.byMessageId}`})`
        : ` (${why.reason})`;
  return `${detail.entry.redactedAt.toISOString()}${reason}`;
}

/** `outbox list`: one line per message, newest first, each with what it waits for. */
export function formatList(details: readonly EntryDetail[], now: Date): string {
  if (details.length === 0) return 'no messages match';
  const header = ['SEQ', 'MESSAGE ID', 'REQUEST ID', 'TYPE', 'ENTITY', 'STATUS', 'ATTEMPTS', 'RECEIVED'];
  const rows = details.map((d) => [
    d.entry.seq,
    d.entry.messageId,
    d.entry.requestId,
    d.entry.kind === 'GdprSlettetNotifikation' ? 'gdpr' : 'ordning',
    d.entry.eksternIdentifier,
    d.entry.status,
    String(d.entry.attempts),
    iso(d.entry.receivedAt).replace(/\.\d{3}Z$/, 'Z'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  details.forEach((d, i) => {
    out.push(line(rows[i] ?? []));
    if (d.hold._tag !== 'Delivered') out.push(`    waits for: ${describeHold(d.hold, now)}`);
    if (d.entry.lastError !== null && d.entry.status !== 'delivered') {
      out.push(`    last error: ${d.entry.lastError}`);
    }
  });
  return out.join('\n');
}

/** `outbox actions`: one block per action, newest first. */
export function formatActions(actions: readonly RecordedAction[]): string {
  if (actions.length === 0) return 'no actions match';
  return actions
    .map((a) => {
      const target =
        a.messageId !== null
          ? `message ${a.messageId}${a.requestId === null ? '' : ` (request id ${a.requestId})`}`
          : a.messageIds.length > 0
            ? `${a.messageIds.length} message(s): ${a.messageIds.slice(0, 5).join(', ')}${a.messageIds.length > 5 ? ', …' : ''}`
            : 'no single message';
      return [
        `${a.id}  ${a.at.toISOString()}  ${a.action}${a.dryRun ? ' (dry run)' : ''} by ${a.actor}`,
        `    ${target}`,
        `    reason: ${a.reason}`,
        ...(Object.keys(a.details).length > 0 ? [`    details: ${JSON.stringify(a.details)}`] : []),
      ].join('\n');
    })
    .join('\n');
}

export function formatRedaction(report: RedactionReport): string {
  const verb = report.dryRun ? 'would redact' : 'redacted';
  return [
    `${verb} ${report.retention} payload(s) past retention`,
    report.dryRun
      ? `would redact at most ${report.gdpr} payload(s) named by delivered GDPR notifications (a row named twice, or also past retention, is counted each time)`
      : `${verb} ${report.gdpr} payload(s) named by delivered GDPR notifications`,
    `${report.erasuresWaiting} GDPR notification(s) wait for earlier messages to be delivered`,
  ].join('\n');
}

import type { OutboxEntry, OutboxStatistics } from '../../application/operations/ports';
import type { OperatorCommandRejection } from '../../application/operations/operator-command';
import type { ParkOutboxMessage } from '../../application/operations/park-outbox-message';
import type { RedactPayloads } from '../../application/operations/redact-payloads';
import type { ReplayOutboxMessages } from '../../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../../application/operations/report-outbox-statistics';
import type { ShowOutboxMessage } from '../../application/operations/show-outbox-message';
import { parseArguments } from './arguments';
import { errorMessage } from '../logging';

export const OUTBOX_USAGE = `usage: wsb-gateway outbox <command>

  stats [--json]                                  counts by status, oldest pending age, blocked entities
  show <requestId|messageId> [--payload] [--json] one message's metadata (payload only with --payload)
  replay <messageId> --reason TEXT [--dry-run]    parked or stuck pending row back to pending, due now
  replay --all-parked --reason TEXT [--dry-run]   every parked row back to pending
  park <messageId> --reason TEXT [--dry-run]      take a pending row out of the relay's hands
  redact [--dry-run] [--reason TEXT]              run one payload redaction sweep now

replay, park and redact record who (--actor, default the OS user), when and why in operator_action.`;

export interface OutboxUseCases {
  readonly stats: ReportOutboxStatistics;
  readonly show: ShowOutboxMessage;
  readonly replay: ReplayOutboxMessages;
  readonly park: ParkOutboxMessage;
  readonly redact: RedactPayloads;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}

/** `wsb-gateway outbox …`: parses arguments, runs one use case, prints its result. */
export async function runOutboxCommand(
  args: readonly string[],
  useCases: OutboxUseCases,
  io: CliIo,
  defaultActor: string,
): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'stats':
        return await stats(rest, useCases, io);
      case 'show':
        return await show(rest, useCases, io);
      case 'replay':
        return await replay(rest, useCases, io, defaultActor);
      case 'park':
        return await park(rest, useCases, io, defaultActor);
      case 'redact':
        return await redact(rest, useCases, io, defaultActor);
      default:
        io.err(`${sub === undefined ? '' : `unknown outbox command "${sub}"\n`}${OUTBOX_USAGE}`);
        return EXIT_USAGE;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${OUTBOX_USAGE}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** Leading positional arguments, then `--options`. */
function split(
  args: readonly string[],
  positionals: number,
  known: readonly string[],
): { positional: string[]; options: Record<string, string | undefined> } {
  const positional: string[] = [];
  let i = 0;
  while (i < args.length && !(args[i] ?? '').startsWith('--')) positional.push(args[i++] ?? '');
  if (positional.length > positionals)
    throw new UsageError(`unexpected argument "${positional[positionals]}"`);
  try {
    return { positional, options: parseArguments(args.slice(i), known) };
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

function requireReason(options: Record<string, string | undefined>): string {
  const reason = options['reason'];
  if (reason === undefined || reason === 'true' || reason.trim() === '') {
    throw new UsageError('--reason "why" is required: it is recorded in operator_action');
  }
  return reason;
}

function actorOf(options: Record<string, string | undefined>, defaultActor: string): string {
  const actor = options['actor'];
  return actor === undefined || actor === 'true' ? defaultActor : actor;
}

async function stats(args: readonly string[], useCases: OutboxUseCases, io: CliIo): Promise<number> {
  const { options } = split(args, 0, ['json']);
  const result = await useCases.stats.execute();
  io.out(options['json'] !== undefined ? JSON.stringify(result, null, 2) : formatStatistics(result));
  return EXIT_OK;
}

async function show(args: readonly string[], useCases: OutboxUseCases, io: CliIo): Promise<number> {
  const { positional, options } = split(args, 1, ['payload', 'json']);
  const id = positional[0];
  if (id === undefined) throw new UsageError('outbox show needs a requestId or messageId');
  const result = await useCases.show.execute({ id, withPayload: options['payload'] !== undefined });
  if (result._tag === 'NotFound') {
    io.err(`no outbox row has message id or request id "${id}"`);
    return EXIT_REJECTED;
  }
  if (options['json'] !== undefined) {
    io.out(
      JSON.stringify(
        result.messages.map((m) => ({ ...m.entry, ...('payload' in m ? { payload: m.payload } : {}) })),
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  io.out(
    result.messages
      .map((m) => {
        const lines = formatEntry(m.entry);
        if ('payload' in m)
          lines.push(`payload: ${m.payload === null ? '(redacted)' : JSON.stringify(m.payload, null, 2)}`);
        return lines.join('\n');
      })
      .join('\n\n'),
  );
  return EXIT_OK;
}

async function replay(
  args: readonly string[],
  useCases: OutboxUseCases,
  io: CliIo,
  defaultActor: string,
): Promise<number> {
  const { positional, options } = split(args, 1, ['reason', 'actor', 'dry-run', 'all-parked']);
  const allParked = options['all-parked'] !== undefined;
  const messageId = positional[0];
  if (allParked === (messageId !== undefined)) {
    throw new UsageError('outbox replay needs either a messageId or --all-parked');
  }
  const result = await useCases.replay.execute({
    target: messageId === undefined ? 'all-parked' : { messageId },
    reason: requireReason(options),
    actor: actorOf(options, defaultActor),
    dryRun: options['dry-run'] !== undefined,
  });
  if (result._tag !== 'Replayed') return rejected(result, io);
  const verb = result.dryRun ? 'would replay' : 'replayed';
  io.out(
    `${verb} ${result.messageIds.length} message(s)${result.messageIds.length > 0 ? `:\n  ${result.messageIds.join('\n  ')}` : ''}`,
  );
  return EXIT_OK;
}

async function park(
  args: readonly string[],
  useCases: OutboxUseCases,
  io: CliIo,
  defaultActor: string,
): Promise<number> {
  const { positional, options } = split(args, 1, ['reason', 'actor', 'dry-run']);
  const messageId = positional[0];
  if (messageId === undefined) throw new UsageError('outbox park needs a messageId');
  const result = await useCases.park.execute({
    messageId,
    reason: requireReason(options),
    actor: actorOf(options, defaultActor),
    dryRun: options['dry-run'] !== undefined,
  });
  if (result._tag !== 'Parked') return rejected(result, io);
  io.out(`${result.dryRun ? 'would park' : 'parked'} ${result.messageId}`);
  return EXIT_OK;
}

async function redact(
  args: readonly string[],
  useCases: OutboxUseCases,
  io: CliIo,
  defaultActor: string,
): Promise<number> {
  const { options } = split(args, 0, ['reason', 'actor', 'dry-run', 'json']);
  const reason = options['reason'];
  const report = await useCases.redact.execute({
    dryRun: options['dry-run'] !== undefined,
    requestedBy: {
      actor: actorOf(options, defaultActor),
      reason: reason === undefined || reason === 'true' ? 'manual sweep (outbox redact)' : reason,
    },
  });
  if (options['json'] !== undefined) {
    io.out(JSON.stringify(report, null, 2));
    return EXIT_OK;
  }
  const verb = report.dryRun ? 'would redact' : 'redacted';
  io.out(
    [
      `${verb} ${report.retention} payload(s) past retention`,
      report.dryRun
        ? `would redact at most ${report.gdpr} payload(s) named by delivered GDPR notifications (a row named twice, or also past retention, is counted each time)`
        : `${verb} ${report.gdpr} payload(s) named by delivered GDPR notifications`,
      `${report.erasuresWaiting} GDPR notification(s) wait for earlier messages to be delivered`,
    ].join('\n'),
  );
  return EXIT_OK;
}

function rejected(rejection: OperatorCommandRejection, io: CliIo): number {
  switch (rejection._tag) {
    case 'MissingReason':
      io.err('--reason "why" is required');
      return EXIT_USAGE;
    case 'MissingActor':
      io.err('--actor is empty and no OS user is known');
      return EXIT_USAGE;
    case 'NotFound':
      io.err(`no outbox row has message id ${rejection.messageId}`);
      return EXIT_REJECTED;
    case 'WrongStatus':
      io.err(`message ${rejection.messageId} is ${rejection.status}; only ${rejection.allowed} rows qualify`);
      return EXIT_REJECTED;
    default: {
      const unexpected: never = rejection;
      throw new Error(`unhandled rejection ${JSON.stringify(unexpected)}`);
    }
  }
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

function formatStatistics(s: OutboxStatistics): string {
  const rows: Array<[string, string]> = [
    ['pending', String(s.countByStatus.pending)],
    ['parked', String(s.countByStatus.parked)],
    ['delivered', String(s.countByStatus.delivered)],
    ['oldest pending age', formatDuration(s.oldestPendingAgeSeconds)],
    ['oldest parked age', formatDuration(s.oldestParkedAgeSeconds)],
    ['blocked entities', String(s.blockedEntities)],
    ['gdpr erasures waiting', String(s.gdprErasuresWaiting)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(24)}${v}`).join('\n');
}

function formatEntry(e: OutboxEntry): string[] {
  const iso = (d: Date | null) => (d === null ? '-' : d.toISOString());
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
    ['next attempt', iso(e.nextAttemptAt)],
    ['delivered', iso(e.deliveredAt)],
    ['exchange', e.exchange],
    ['routing key', e.routingKey],
    ['redacted', iso(e.redactedAt)],
    ['seq', e.seq],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(21)}${v}`);
}

import type { OperatorCommandRejection } from '../../application/operations/operator-command';
import type { ParkOutboxMessage } from '../../application/operations/park-outbox-message';
import type {
  ActionSearch,
  EntryDetail,
  OperatorActionKind,
  OutboxExplorer,
  OutboxSearch,
  OutboxStatus,
} from '../../application/operations/ports';
import type { RedactPayloads } from '../../application/operations/redact-payloads';
import type { ReplayOutboxMessages } from '../../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../../application/operations/report-outbox-statistics';
import type { RevealPayload } from '../../application/operations/reveal-payload';
import { type CommandSpec, flag, parseCommand, stringOption, UsageError } from './arguments';
import {
  formatActions,
  formatDetail,
  formatList,
  formatRedaction,
  formatStatistics,
  jsonOf,
} from './outbox-output';

export { formatDuration } from './outbox-output';

const WHO = '[--actor NAME]';

/** Every `outbox` subcommand: its options, positionals and usage, the one source of `--help`. */
export const OUTBOX_COMMANDS = {
  stats: {
    usage: `usage: wsb-gateway outbox stats [--json]

Counts by status, the oldest pending and parked age, blocked entities (list them with
\`outbox list --blocked\`) and GDPR erasures waiting.`,
    options: { json: { type: 'boolean' } },
  },
  list: {
    usage: `usage: wsb-gateway outbox list [--blocked] [--parked] [--status STATUS] [--entity UUID]
                          [--jobcenter CODE] [--since TIME] [--after SEQ] [--limit N] [--json]

Messages, newest first, each with what it waits for. Filters combine:
  --blocked          undelivered messages of blocked entities (their oldest undelivered message is
                     parked or has failed), each naming the message that holds it back and why
  --parked           parked messages (the same as --status parked)
  --status STATUS    pending, parked, delivered or undelivered (default: every status)
  --entity UUID      one eksternIdentifier
  --jobcenter CODE   one jobcenter code
  --since TIME       received at or after TIME: an ISO 8601 time, or an age such as 30m, 2h, 7d
  --after SEQ        the next page: the SEQ that the previous page printed
  --limit N          messages per page, 1-500 (default 50)`,
    options: {
      blocked: { type: 'boolean' },
      parked: { type: 'boolean' },
      status: { type: 'string' },
      entity: { type: 'string' },
      jobcenter: { type: 'string' },
      since: { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
  },
  show: {
    usage: `usage: wsb-gateway outbox show <messageId|requestId> [--json]
       wsb-gateway outbox show <messageId|requestId> --payload --reason TEXT ${WHO} [--json]

One message's metadata and what it waits for: the message that blocks it, its backoff, or its
park (who, when, why, from the action log). --payload also shows the payload (personal data): it
needs --reason and is recorded in the action log as a reveal.`,
    options: {
      payload: { type: 'boolean' },
      reason: { type: 'string' },
      actor: { type: 'string' },
      json: { type: 'boolean' },
    },
    positionals: ['id'],
  },
  replay: {
    usage: `usage: wsb-gateway outbox replay <messageId|requestId> --reason TEXT ${WHO} [--dry-run]
       wsb-gateway outbox replay --all-parked --reason TEXT ${WHO} [--dry-run]

A parked or stuck pending message goes back to pending with its attempts reset, due now.`,
    options: {
      'all-parked': { type: 'boolean' },
      reason: { type: 'string' },
      actor: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    positionals: ['id'],
  },
  park: {
    usage: `usage: wsb-gateway outbox park <messageId|requestId> --reason TEXT ${WHO} [--dry-run]

Takes a pending message out of the relay's hands; its entity's later messages wait behind it.`,
    options: { reason: { type: 'string' }, actor: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    positionals: ['id'],
  },
  actions: {
    usage: `usage: wsb-gateway outbox actions [--message ID] [--actor NAME] [--action KIND] [--since TIME]
                             [--after ID] [--limit N] [--json]

The action log, newest first: every replay, park, redaction, payload reveal and subject-access
search, with who, when and why.
  --message ID   actions that touched this message (message id or request id)
  --actor NAME   actions of one person
  --action KIND  replay, park, redact, reveal or subject-access
  --since TIME   at or after TIME: an ISO 8601 time, or an age such as 30m, 2h, 7d
  --after ID     the next page: the ID that the previous page printed
  --limit N      actions per page, 1-500 (default 50)`,
    options: {
      message: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      since: { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
  },
  redact: {
    usage: `usage: wsb-gateway outbox redact [--dry-run] [--reason TEXT] ${WHO} [--json]

Runs one payload redaction sweep now (retention and GDPR erasure).`,
    options: {
      reason: { type: 'string' },
      actor: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  },
} satisfies Record<string, CommandSpec>;

export type OutboxSubcommand = keyof typeof OUTBOX_COMMANDS;

export const OUTBOX_USAGE = `usage: wsb-gateway outbox <command> [options]      (wsb-gateway outbox <command> --help)

  stats                                           counts by status, oldest ages, blocked entities
  list [--blocked] [--parked] [--entity UUID] …   messages, newest first, with what each waits for
  show <id> [--payload --reason TEXT]             one message and what it waits for
  replay <id> | --all-parked --reason TEXT        parked or stuck pending message(s) back to pending
  park <id> --reason TEXT                         take a pending message out of the relay's hands
  actions [--message ID] [--actor NAME] …         the action log: who did what, when and why
  redact [--dry-run] [--reason TEXT]              run one payload redaction sweep now

<id> is a message id or a request id (x-requestId). replay, park, redact and show --payload record
who (--actor, default the OS user), when and why in the action log.`;

/** A command line that asks for something: help, or one subcommand with its parsed arguments. */
export type OutboxCommandLine =
  | { readonly _tag: 'Help'; readonly usage: string }
  | { readonly _tag: 'Run'; readonly command: OutboxSubcommand; readonly args: ParsedArguments };

type ParsedArguments = Extract<ReturnType<typeof parseCommand>, { _tag: 'Parsed' }>;

/** Parses without touching anything, so help and usage errors need no database. Throws UsageError. */
export function parseOutboxCommandLine(args: readonly string[]): OutboxCommandLine {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('which outbox command?', OUTBOX_USAGE);
  if (sub === '--help' || sub === '-h' || sub === 'help') return { _tag: 'Help', usage: OUTBOX_USAGE };
  if (!Object.hasOwn(OUTBOX_COMMANDS, sub)) {
    throw new UsageError(`unknown outbox command "${sub}"`, OUTBOX_USAGE);
  }
  const command = sub as OutboxSubcommand;
  const parsed = parseCommand(rest, OUTBOX_COMMANDS[command]);
  if (parsed._tag === 'Help') return parsed;
  return { _tag: 'Run', command, args: parsed };
}

export interface OutboxUseCases {
  readonly stats: ReportOutboxStatistics;
  /** The read model: list, show, actions and the look-up of a message id or request id. */
  readonly explorer: OutboxExplorer;
  readonly reveal: RevealPayload;
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

/** `wsb-gateway outbox …` from arguments to exit code; what `outbox` runs and what tests drive. */
export async function runOutboxCommand(
  args: readonly string[],
  useCases: OutboxUseCases,
  io: CliIo,
  defaultActor: string,
  now: () => Date = () => new Date(),
): Promise<number> {
  try {
    const line = parseOutboxCommandLine(args);
    if (line._tag === 'Help') {
      io.out(line.usage);
      return EXIT_OK;
    }
    return await new OutboxCli(useCases, io, defaultActor, now).run(line.command, line.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${error.usage}`);
    return EXIT_USAGE;
  }
}

/** Which message an id names: its message id, else its request id (ids are unique in each). */
type Resolution =
  | { readonly _tag: 'Found'; readonly detail: EntryDetail; readonly note: string | undefined }
  | { readonly _tag: 'NotFound' };

class OutboxCli {
  constructor(
    private readonly useCases: OutboxUseCases,
    private readonly io: CliIo,
    private readonly defaultActor: string,
    private readonly now: () => Date,
  ) {}

  run(command: OutboxSubcommand, args: ParsedArguments): Promise<number> {
    switch (command) {
      case 'stats':
        return this.stats(args);
      case 'list':
        return this.list(args);
      case 'show':
        return this.show(args);
      case 'replay':
        return this.replay(args);
      case 'park':
        return this.park(args);
      case 'actions':
        return this.actions(args);
      case 'redact':
        return this.redact(args);
      default: {
        const unknown: never = command;
        throw new Error(`unhandled outbox command ${String(unknown)}`);
      }
    }
  }

  private async stats(args: ParsedArguments): Promise<number> {
    const result = await this.useCases.stats.execute();
    this.io.out(flag(args, 'json') ? jsonOf(result) : formatStatistics(result));
    return EXIT_OK;
  }

  private async list(args: ParsedArguments): Promise<number> {
    const usage = OUTBOX_COMMANDS.list.usage;
    const status = stringOption(args, 'status');
    if (status !== undefined && !['pending', 'parked', 'delivered', 'undelivered'].includes(status)) {
      throw new UsageError(`--status ${status}: choose pending, parked, delivered or undelivered`, usage);
    }
    if (flag(args, 'parked') && status !== undefined && status !== 'parked') {
      throw new UsageError(`--parked and --status ${status} contradict each other`, usage);
    }
    const since = stringOption(args, 'since');
    const search: OutboxSearch = {
      ...optional('status', flag(args, 'parked') ? 'parked' : (status as OutboxStatus | 'undelivered')),
      ...optional('blocked', flag(args, 'blocked') ? true : undefined),
      ...optional('eksternIdentifier', stringOption(args, 'entity')?.toLowerCase()),
      ...optional('jobCenterKode', stringOption(args, 'jobcenter')),
      ...optional('receivedFrom', since === undefined ? undefined : this.time('since', since, usage)),
      ...optional('after', this.seq('after', stringOption(args, 'after'), usage)),
      limit: this.limit(stringOption(args, 'limit'), usage),
    };
    const page = await this.useCases.explorer.search(search);
    // What each undelivered row waits for: one look-up per row of the page, by its message id.
    const details: EntryDetail[] = [];
    for (const entry of page.items) {
      const [detail] = await this.useCases.explorer.detail(entry.messageId);
      details.push(detail ?? { entry, hold: { _tag: 'Delivered' }, traceId: null, redaction: null });
    }
    if (flag(args, 'json')) {
      this.io.out(jsonOf({ items: details.map(detailJson), next: page.next }));
      return EXIT_OK;
    }
    this.io.out(formatList(details, this.now()));
    if (page.next !== null) this.io.out(`\nmore: add --after ${page.next} for the next page`);
    return EXIT_OK;
  }

  private async show(args: ParsedArguments): Promise<number> {
    const usage = OUTBOX_COMMANDS.show.usage;
    const id = this.id(args, 'outbox show needs a message id or request id', usage);
    const payload = flag(args, 'payload');
    const reason = stringOption(args, 'reason');
    if (payload && reason === undefined) {
      throw new UsageError(
        '--payload needs --reason "why": a payload reveal is recorded in the action log',
        usage,
      );
    }
    if (!payload && reason !== undefined) {
      throw new UsageError('--reason goes with --payload: showing metadata is not recorded', usage);
    }
    const found = await this.resolve(id);
    if (found._tag === 'NotFound') return this.notFound(id);
    let revealed: { payload: Readonly<Record<string, unknown>> | null } | undefined;
    if (payload) {
      const result = await this.useCases.reveal.execute({
        messageId: found.detail.entry.messageId,
        actor: this.actor(args),
        reason: reason ?? '',
      });
      if (result._tag !== 'Revealed') return this.rejected(result);
      revealed = { payload: result.payload };
    }
    if (found.note !== undefined) this.io.err(found.note);
    if (flag(args, 'json')) {
      this.io.out(jsonOf({ ...detailJson(found.detail), ...(revealed ?? {}) }));
      return EXIT_OK;
    }
    const lines = formatDetail(found.detail, this.now());
    if (revealed !== undefined) {
      lines.push(
        `payload:             ${revealed.payload === null ? '(redacted)' : JSON.stringify(revealed.payload, null, 2)}`,
      );
    }
    this.io.out(lines.join('\n'));
    return EXIT_OK;
  }

  private async replay(args: ParsedArguments): Promise<number> {
    const usage = OUTBOX_COMMANDS.replay.usage;
    const allParked = flag(args, 'all-parked');
    const id = args.positionals[0];
    if (allParked === (id !== undefined)) {
      throw new UsageError('outbox replay needs either a message id (or request id) or --all-parked', usage);
    }
    const reason = this.reason(args, usage);
    let messageId: string | undefined;
    if (id !== undefined) {
      const found = await this.resolve(id);
      if (found._tag === 'NotFound') return this.notFound(id);
      if (found.note !== undefined) this.io.err(found.note);
      messageId = found.detail.entry.messageId;
    }
    const result = await this.useCases.replay.execute({
      target: messageId === undefined ? 'all-parked' : { messageId },
      reason,
      actor: this.actor(args),
      dryRun: flag(args, 'dry-run'),
    });
    if (result._tag !== 'Replayed') return this.rejected(result);
    const verb = result.dryRun ? 'would replay' : 'replayed';
    const ids = result.messageIds;
    this.io.out(`${verb} ${ids.length} message(s)${ids.length > 0 ? `:\n  ${ids.join('\n  ')}` : ''}`);
    return EXIT_OK;
  }

  private async park(args: ParsedArguments): Promise<number> {
    const usage = OUTBOX_COMMANDS.park.usage;
    const id = this.id(args, 'outbox park needs a message id or request id', usage);
    const reason = this.reason(args, usage);
    const found = await this.resolve(id);
    if (found._tag === 'NotFound') return this.notFound(id);
    if (found.note !== undefined) this.io.err(found.note);
    const result = await this.useCases.park.execute({
      messageId: found.detail.entry.messageId,
      reason,
      actor: this.actor(args),
      dryRun: flag(args, 'dry-run'),
    });
    if (result._tag !== 'Parked') return this.rejected(result);
    this.io.out(`${result.dryRun ? 'would park' : 'parked'} ${result.messageId}`);
    return EXIT_OK;
  }

  private async actions(args: ParsedArguments): Promise<number> {
    const usage = OUTBOX_COMMANDS.actions.usage;
    const action = stringOption(args, 'action');
    const kinds: readonly OperatorActionKind[] = ['replay', 'park', 'redact', 'reveal', 'subject-access'];
    if (action !== undefined && !kinds.includes(action as OperatorActionKind)) {
      throw new UsageError(`--action ${action}: choose ${kinds.join(', ')}`, usage);
    }
    let messageId: string | undefined;
    const message = stringOption(args, 'message');
    if (message !== undefined) {
      const found = await this.resolve(message);
      if (found._tag === 'NotFound') return this.notFound(message);
      if (found.note !== undefined) this.io.err(found.note);
      messageId = found.detail.entry.messageId;
    }
    const since = stringOption(args, 'since');
    const search: ActionSearch = {
      ...optional('messageId', messageId),
      ...optional('actor', stringOption(args, 'actor')),
      ...optional('action', action as OperatorActionKind | undefined),
      ...optional('since', since === undefined ? undefined : this.time('since', since, usage)),
      ...optional('after', this.seq('after', stringOption(args, 'after'), usage)),
      limit: this.limit(stringOption(args, 'limit'), usage),
    };
    const page = await this.useCases.explorer.actions(search);
    if (flag(args, 'json')) {
      this.io.out(jsonOf(page));
      return EXIT_OK;
    }
    this.io.out(formatActions(page.items));
    if (page.next !== null) this.io.out(`\nmore: add --after ${page.next} for the next page`);
    return EXIT_OK;
  }

  private async redact(args: ParsedArguments): Promise<number> {
    const report = await this.useCases.redact.execute({
      dryRun: flag(args, 'dry-run'),
      requestedBy: {
        actor: this.actor(args),
        reason: stringOption(args, 'reason') ?? 'manual sweep (outbox redact)',
      },
    });
    this.io.out(flag(args, 'json') ? jsonOf(report) : formatRedaction(report));
    return EXIT_OK;
  }

  /**
   * A message id names one message, a request id another (a request id may look like a uuid): the
   * message id wins, and when the id is both, the operator is told which was used.
   */
  private async resolve(id: string): Promise<Resolution> {
    const trimmed = id.trim();
    const details = await this.useCases.explorer.detail(trimmed);
    const byMessageId = details.find((d) => d.entry.messageId === trimmed.toLowerCase());
    const byRequestId = details.find((d) => d.entry.requestId === trimmed);
    const chosen = byMessageId ?? byRequestId;
    if (chosen === undefined) return { _tag: 'NotFound' };
    let note: string | undefined;
    if (byMessageId !== undefined && byRequestId !== undefined && byRequestId !== byMessageId) {
      note = `"${trimmed}" is the message id of ${byMessageId.entry.messageId} and the request id of ${byRequestId.entry.messageId}; using the message id (pass ${byRequestId.entry.messageId} for the other)`;
    } else if (byMessageId === undefined) {
      note = `request id ${trimmed} is message ${chosen.entry.messageId}`;
    }
    return { _tag: 'Found', detail: chosen, note };
  }

  private id(args: ParsedArguments, missing: string, usage: string): string {
    const id = args.positionals[0];
    if (id === undefined || id.trim() === '') throw new UsageError(missing, usage);
    return id;
  }

  private reason(args: ParsedArguments, usage: string): string {
    const reason = stringOption(args, 'reason');
    if (reason === undefined) {
      throw new UsageError('--reason "why" is required: it is recorded in the action log', usage);
    }
    return reason;
  }

  private actor(args: ParsedArguments): string {
    return stringOption(args, 'actor') ?? this.defaultActor;
  }

  private limit(raw: string | undefined, usage: string): number {
    if (raw === undefined) return 50;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 500) throw new UsageError(`--limit ${raw}: choose 1-500`, usage);
    return n;
  }

  private seq(name: string, raw: string | undefined, usage: string): string | undefined {
    if (raw !== undefined && !/^\d+$/.test(raw)) {
      throw new UsageError(`--${name} ${raw}: the number the previous page printed`, usage);
    }
    return raw;
  }

  /** An ISO 8601 time, or an age before now: `90s`, `30m`, `2h`, `7d`. */
  private time(name: string, raw: string, usage: string): Date {
    const age = /^(\d+)\s*([smhd])$/.exec(raw.trim());
    if (age !== null) {
      const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[age[2] as 's' | 'm' | 'h' | 'd'];
      return new Date(this.now().getTime() - Number(age[1]) * unit * 1000);
    }
    const at = Date.parse(raw);
    if (Number.isNaN(at)) {
      throw new UsageError(
        `--${name} ${raw}: an ISO 8601 time (2026-12-02T10:00:00Z) or an age (30m, 2h, 7d)`,
        usage,
      );
    }
    return new Date(at);
  }

  private notFound(id: string): number {
    this.io.err(`no outbox message has message id or request id "${id}"`);
    return EXIT_REJECTED;
  }

  private rejected(rejection: OperatorCommandRejection): number {
    switch (rejection._tag) {
      case 'MissingReason':
        this.io.err('--reason "why" is required');
        return EXIT_USAGE;
      case 'MissingActor':
        this.io.err('--actor is empty and no OS user is known');
        return EXIT_USAGE;
      case 'NotFound':
        return this.notFound(rejection.messageId);
      case 'WrongStatus':
        this.io.err(
          `message ${rejection.messageId} is ${rejection.status}; only ${rejection.allowed} messages qualify`,
        );
        return EXIT_REJECTED;
      default: {
        const unexpected: never = rejection;
        throw new Error(`unhandled rejection ${JSON.stringify(unexpected)}`);
      }
    }
  }
}

/** `{ [key]: value }` when value is given, `{}` otherwise (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function detailJson(detail: EntryDetail): Record<string, unknown> {
  return { ...detail.entry, hold: detail.hold, traceId: detail.traceId, redaction: detail.redaction };
}

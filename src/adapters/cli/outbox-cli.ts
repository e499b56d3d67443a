// Over 330 lines: one method per `outbox` subcommand, sharing the id look-up, the reason and the
// actor; the option specs live in outbox-commands.ts and the printing in outbox-output.ts.
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
import {
  flag,
  pageKey,
  pageLimit,
  type ParsedArguments,
  stringOption,
  timeOption,
  UsageError,
} from './arguments';
import { OUTBOX_COMMANDS, type OutboxSubcommand, parseOutboxCommandLine } from './outbox-commands';
import {
  formatActions,
  formatDetail,
  formatList,
  formatRedaction,
  formatStatistics,
  jsonOf,
} from './outbox-output';

export { formatDuration } from './outbox-output';
export { OUTBOX_USAGE, parseOutboxCommandLine } from './outbox-commands';

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
    const result = await this.useCases.stats.execute('exact');
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
      ...optional(
        'receivedFrom',
        since === undefined ? undefined : timeOption('since', since, usage, this.now()),
      ),
      ...optional('after', pageKey(stringOption(args, 'after'), usage)),
      limit: pageLimit(stringOption(args, 'limit'), usage),
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
      ...optional('since', since === undefined ? undefined : timeOption('since', since, usage, this.now())),
      ...optional('after', pageKey(stringOption(args, 'after'), usage)),
      limit: pageLimit(stringOption(args, 'limit'), usage),
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

import { type CommandSpec, type ParsedArguments, parseCommand, UsageError } from './arguments';

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

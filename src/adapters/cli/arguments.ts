import { parseArgs } from 'node:util';

/** What a command accepts: its options (names without `--`), how many positionals, and its usage text. */
export interface CommandSpec {
  readonly usage: string;
  readonly options: Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;
  /** Names of the positional arguments, in order; all are optional to the parser. */
  readonly positionals?: readonly string[];
}

export type ParsedCommand =
  | { readonly _tag: 'Help'; readonly usage: string }
  | {
      readonly _tag: 'Parsed';
      readonly values: Readonly<Record<string, string | boolean | undefined>>;
      readonly positionals: readonly string[];
    };

/** A command line the command cannot run: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` or `-h` anywhere before a `--`: the command prints its usage and does nothing else. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * Parses one command's arguments with `node:util` `parseArgs`: options and positionals in any order,
 * `--name value` or `--name=value`, unknown options and surplus positionals refused. `--help`/`-h`
 * wins over everything else, so asking for help never runs the command.
 */
export function parseCommand(args: readonly string[], spec: CommandSpec): ParsedCommand {
  if (asksForHelp(args)) return { _tag: 'Help', usage: spec.usage };
  const allowed = spec.positionals?.length ?? 0;
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...spec.options },
      strict: true,
      allowPositionals: true,
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError(describeParseError(error, spec), spec.usage);
  }
  if (parsed.positionals.length > allowed) {
    const extra = parsed.positionals[allowed] ?? '';
    throw new UsageError(
      allowed === 0
        ? `unexpected argument "${extra}": this command takes options only`
        : `unexpected argument "${extra}": expected only ${spec.positionals?.map((p) => `<${p}>`).join(' ')}`,
      spec.usage,
    );
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string' && value.trim() === '') {
      throw new UsageError(`--${name} needs a value`, spec.usage);
    }
  }
  return { _tag: 'Parsed', values: parsed.values, positionals: parsed.positionals };
}

function describeParseError(error: unknown, spec: CommandSpec): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const known = Object.entries(spec.options)
    .map(([name, o]) => (o.type === 'string' ? `--${name} VALUE` : `--${name}`))
    .join(' ');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? message;
    return `unknown option ${option}${known === '' ? '' : `; known: ${known}`}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /--([a-z-]+)/.exec(message)?.[1];
    return option === undefined
      ? message
      : `--${option} ${spec.options[option]?.type === 'string' ? 'needs a value' : 'takes no value'}`;
  }
  return message;
}

export type ParsedArguments = Extract<ParsedCommand, { _tag: 'Parsed' }>;

/** A string option's value, or undefined when not given. */
export function stringOption(values: ParsedArguments, name: string): string | undefined {
  const value = values.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A boolean option: true when given. */
export function flag(values: ParsedArguments, name: string): boolean {
  return values.values[name] === true;
}

/** `--limit N`: rows per page, 1–500, 50 when not given. */
export function pageLimit(raw: string | undefined, usage: string): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 500) throw new UsageError(`--limit ${raw}: choose 1-500`, usage);
  return n;
}

/** `--after KEY`: the number the previous page printed. */
export function pageKey(raw: string | undefined, usage: string): string | undefined {
  if (raw !== undefined && !/^\d+$/.test(raw)) {
    throw new UsageError(`--after ${raw}: the number the previous page printed`, usage);
  }
  return raw;
}

/** A time option: an ISO 8601 time, or an age before `now` (`90s`, `30m`, `2h`, `7d`). */
export function timeOption(name: string, raw: string, usage: string, now: Date): Date {
  const age = /^(\d+)\s*([smhd])$/.exec(raw.trim());
  if (age !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(age[1]) * unit * 1000);
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

import * as t from 'io-ts';

/**
 * Scalar codecs for the types the source document uses. Each codec's `name` is the
 * human-readable expectation that ends up in a validation error, so it must never
 * contain the rejected value.
 */

/**
 * U+0000 and UTF-16 surrogates that are not part of a pair: PostgreSQL can store neither in
 * `text` or `jsonb` (22P05, 22021), and neither is a character of any real value. With the `u`
 * flag a paired surrogate is one code point outside \uD800-\uDFFF, so only lone ones match.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/** The JSON Schema `pattern` (ECMA-262, `u` flag) that says the same as `isStorable`. */
export const STORABLE_STRING_PATTERN = '^[^\\u0000\\uD800-\\uDFFF]*$';

export function isStorable(s: string): boolean {
  return !UNSTORABLE.test(s);
}

export interface TextBrand {
  readonly Text: unique symbol;
}
/** A string as the source document's `string`: any characters that can be stored. */
export const Text = t.brand(t.string, (s): s is t.Branded<string, TextBrand> => isStorable(s), 'Text');
export type Text = t.TypeOf<typeof Text>;

export interface NonEmptyStringBrand {
  readonly NonEmptyString: unique symbol;
}
/** `string` with `MinLength: 1`. */
export const NonEmptyString = t.brand(
  t.string,
  (s): s is t.Branded<string, NonEmptyStringBrand> => s.length >= 1 && isStorable(s),
  'NonEmptyString',
);
export type NonEmptyString = t.TypeOf<typeof NonEmptyString>;

/** The JSON Schema `pattern` of `Uuid`, and its test. */
export const UUID_PATTERN_TEXT =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID_PATTERN = new RegExp(UUID_PATTERN_TEXT);

export interface UuidBrand {
  readonly Uuid: unique symbol;
}
/** RFC 4122 text form, any version, either case. */
export const Uuid = t.brand(t.string, (s): s is t.Branded<string, UuidBrand> => UUID_PATTERN.test(s), 'Uuid');
export type Uuid = t.TypeOf<typeof Uuid>;

// ISO 8601 calendar date and time: seconds and fraction optional, offset optional.
const DATE_TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

const LEAP_YEAR = '(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const MONTH_DAY =
  '(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)';
const TIME = '(?:[01][0-9]|2[0-3]):(?:[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?|59:60(?:[.,][0-9]+)?)';
const OFFSET = '(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?';
/**
 * What `DateTime` accepts, as one JSON Schema `pattern`: the syntax above and a real calendar
 * date (leap years included), so that the OpenAPI document says exactly what the codec does.
 */
export const DATE_TIME_SCHEMA_PATTERN = `^(?:[0-9]{4}-${MONTH_DAY}|${LEAP_YEAR}-02-29)[Tt ]${TIME}${OFFSET}$`;

export interface DateTimeBrand {
  readonly DateTime: unique symbol;
}
/** An ISO 8601 date-time as sent; `parseDateTime` gives its instant. */
export const DateTime = t.brand(
  t.string,
  (s): s is t.Branded<string, DateTimeBrand> => parseDateTime(s) !== undefined,
  'DateTime',
);
export type DateTime = t.TypeOf<typeof DateTime>;

export const DANISH_TIME_ZONE = 'Europe/Copenhagen';

/**
 * The instant an ISO 8601 date-time denotes. With `Z` or an offset it is taken as given;
 * without one it is Danish local time (Europe/Copenhagen), as CONTRACT.md §2 decides.
 * Returns undefined for anything that is not a real calendar date and time.
 */
export function parseDateTime(text: string): Date | undefined {
  const m = DATE_TIME_PATTERN.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Truncated to milliseconds from the digits: RFC 3339 allows any number of them (.NET sends 7), and
  // going through a float would round .9999999999999999999 up into the next second.
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // A leap second (RFC 3339: second 60, in the last minute of an hour in any offset) is the
  // instant the next minute starts, as PostgreSQL reads it; the text is kept as sent.
  if (hour > 23 || minute > 59 || second > 60 || (second === 60 && minute !== 59)) return undefined;
  const wallClockAsUtc = utcMillis(year, month - 1, day, hour, minute, second, second === 60 ? 0 : millis);
  if (zulu !== undefined) return new Date(wallClockAsUtc);
  if (sign !== undefined) {
    const offsetMinutes = Number(oh) * 60 + Number(om);
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    return new Date(wallClockAsUtc - (sign === '+' ? 1 : -1) * offsetMinutes * 60_000);
  }
  return new Date(localTimeToUtc(wallClockAsUtc, DANISH_TIME_ZONE));
}

/** Date.UTC without its quirk of reading years 0–99 as 1900–1999. */
function utcMillis(
  year: number,
  monthIndex: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMillis(year, month, 0)).getUTCDate();
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC, in milliseconds, at the given instant, from the formatted wall clock. */
function formattedOffsetAt(instant: number, timeZone: string): number {
  let fmt = offsetFormatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timeZone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = utcMillis(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  // The formatter shows the second the instant falls in (rounded down, before 1970 too).
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

const HOUR_MS = 3_600_000;
/** Offsets by zone and UTC hour, for hours with one offset throughout; cleared when full. */
const offsetsByHour = new Map<string, number>();
const MAX_CACHED_HOURS = 10_000;

/**
 * The zone's offset from UTC, in milliseconds, at the given instant. Formatting is most of what
 * reading a date-time without an offset costs, and every request reads its date-times twice, so an
 * hour's offset is remembered once its first and last second agree: no transition inside it. A zone whose offset changed twice within one hour would defeat that
 * check; none in the time zone database does.
 */
function zoneOffsetAt(instant: number, timeZone: string): number {
  const hour = Math.floor(instant / HOUR_MS);
  const key = `${timeZone} ${hour}`;
  const cached = offsetsByHour.get(key);
  if (cached !== undefined) return cached;
  const start = hour * HOUR_MS;
  const offset = formattedOffsetAt(start, timeZone);
  if (formattedOffsetAt(start + HOUR_MS - 1000, timeZone) !== offset) {
    return formattedOffsetAt(instant, timeZone);
  }
  if (offsetsByHour.size >= MAX_CACHED_HOURS) offsetsByHour.clear();
  offsetsByHour.set(key, offset);
  return offset;
}

/**
 * Converts a wall-clock time in `timeZone` (given as if it were UTC) to the real instant.
 * A time in the autumn overlap is read as the later (standard-time) instant; a time in the
 * spring gap does not exist and is moved forward by the gap.
 */
function localTimeToUtc(wallClockAsUtc: number, timeZone: string): number {
  const guess = wallClockAsUtc - zoneOffsetAt(wallClockAsUtc, timeZone);
  return wallClockAsUtc - zoneOffsetAt(guess, timeZone);
}

/** STAR's CodeListItemIdentifierType: an integer from 0 to 10 000 000. */
export const CODE_MIN = 0;
export const CODE_MAX = 10_000_000;

export interface CodeBrand {
  readonly Code: unique symbol;
}
export type Code = t.Branded<number, CodeBrand>;

const isCode = (n: unknown): n is Code =>
  typeof n === 'number' && Number.isInteger(n) && n >= CODE_MIN && n <= CODE_MAX;

/**
 * The digit strings `CodeValue` accepts: up to eight digits, leading zeros allowed, at most
 * CODE_MAX (10000000). Also the OpenAPI schema's pattern, so the two cannot say different things.
 */
export const CODE_STRING_PATTERN = '^(?:[0-9]{1,7}|0[0-9]{7}|10000000)$';
const CODE_STRING = new RegExp(CODE_STRING_PATTERN);

/** A code-list code: a JSON integer, or a string of digits normalised to the integer. */
export const CodeValue = new t.Type<Code, number, unknown>(
  'Code',
  isCode,
  (input, context) => {
    if (typeof input === 'string') {
      return CODE_STRING.test(input) ? t.success(Number(input) as Code) : t.failure(input, context);
    }
    return isCode(input) ? t.success(input) : t.failure(input, context);
  },
  (code) => code,
);

import type * as t from 'io-ts';
import { FEJL, type Violation } from './errors';

const EXPECTATIONS: Record<string, string> = {
  NonEmptyString:
    'must be a string of at least one character, without U+0000 or an unpaired UTF-16 surrogate',
  Text: 'must be a string without U+0000 or an unpaired UTF-16 surrogate',
  Uuid: 'must be a uuid in RFC 4122 text form',
  DateTime: 'must be an ISO 8601 date-time',
  Code: 'must be a code-list code: an integer from 0 to 10000000, or a string of its digits',
  string: 'must be a string',
  boolean: 'must be a boolean',
};

function describeExpectation(typeName: string): string {
  const nullable = /^\((.+) \| null\)$/.exec(typeName);
  if (nullable?.[1] !== undefined) return `${describeExpectation(nullable[1])}, or null`;
  const array = /^Array<(.+)>$/.exec(typeName);
  if (array?.[1] !== undefined) return 'must be an array';
  return EXPECTATIONS[typeName] ?? 'must be an object';
}

interface Tagged {
  readonly _tag?: string;
  readonly type?: unknown;
}

/** The tag of a codec, looking through `t.exact` and brands to what they wrap. */
function structuralTag(codec: unknown): string | undefined {
  let current = codec as Tagged | undefined;
  while (current?._tag === 'ExactType' || current?._tag === 'RefinementType')
    current = current.type as Tagged;
  return current?._tag;
}

function pathOf(context: t.Context): string {
  let path = '';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i];
    const parent = context[i - 1];
    if (entry === undefined || parent === undefined) continue;
    const parentTag = structuralTag(parent.type);
    // Members of unions and intersections are not steps in the JSON document.
    if (parentTag === 'UnionType' || parentTag === 'IntersectionType') continue;
    if (parentTag === 'ArrayType') path += `[${entry.key}]`;
    else path += path === '' ? entry.key : `.${entry.key}`;
  }
  return path;
}

/**
 * Turns io-ts errors into violations, one per failing JSON path. The value itself is never
 * copied into the message: request bodies carry CPR numbers.
 */
export function violationsFromErrors(errors: t.Errors): Violation[] {
  const byPath = new Map<string, Violation>();
  for (const error of errors) {
    const path = pathOf(error.context);
    if (byPath.has(path)) continue;
    const last = error.context[error.context.length - 1];
    // For a union (`x | null`) the reported leaf is a member; name the whole union instead.
    let expected = last?.type.name ?? 'value';
    for (let i = error.context.length - 1; i > 0; i--) {
      if (structuralTag(error.context[i - 1]?.type) === 'UnionType')
        expected = error.context[i - 1]?.type.name ?? expected;
      else break;
    }
    const message = error.value === undefined ? 'is required' : describeExpectation(expected);
    byPath.set(path, {
      path: path === '' ? '(body)' : path,
      fejlkode: FEJL.invalidMessage.fejlkode,
      message,
    });
  }
  return [...byPath.values()];
}

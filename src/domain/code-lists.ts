import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either';
import { CODE_LIST_NAMES, type CodeField, type CodeListName, CODE_LIST_OF_FIELD } from './notification';
import { CodeValue, parseDateTime } from './primitives';
import type { Violation } from './errors';
import { violationsFromErrors } from './violations';

/**
 * STAR code lists: integer codes, each with a name and a validity interval [validFrom, validTo).
 * The real lists are STAR's; the operator points the gateway at a file holding them.
 */
export interface CodeListItem {
  readonly code: number;
  readonly name: string;
  readonly validFrom: Date | undefined;
  readonly validTo: Date | undefined;
}

export interface CodeLists {
  /** The lists that are checked; a list not loaded accepts any code in range. */
  readonly loaded: readonly CodeListName[];
  check(field: CodeField, path: string, code: number, at: Date): Violation | undefined;
}

export const UNCHECKED_CODE_LISTS: CodeLists = {
  loaded: [],
  check: () => undefined,
};

const Instant = new t.Type<Date, string, unknown>(
  'DateTime',
  (u): u is Date => u instanceof Date,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const date = /^\d{4}-\d{2}-\d{2}$/.test(u) ? parseDateTime(`${u}T00:00:00`) : parseDateTime(u);
    return date === undefined ? t.failure(u, c) : t.success(date);
  },
  (d) => d.toISOString(),
);

const CodeListItemFile = t.intersection([
  t.type({ code: CodeValue, name: t.string }),
  t.partial({ validFrom: t.union([Instant, t.null]), validTo: t.union([Instant, t.null]) }),
]);

/** The file format: `{ "lists": { "<ListName>": [ { code, name, validFrom?, validTo? } ] } }`. */
export const CodeListFile = t.type({ lists: t.record(t.string, t.array(CodeListItemFile)) });

export class CodeListFileError extends Error {}

/** Builds code lists from a parsed file; throws CodeListFileError with every problem found. */
export function codeListsFromFile(content: unknown): CodeLists {
  const decoded = CodeListFile.decode(content);
  if (isLeft(decoded)) {
    const problems = violationsFromErrors(decoded.left).map((v) => `${v.path} ${v.message}`);
    throw new CodeListFileError(`code-list file is not valid: ${problems.join('; ')}`);
  }
  const lists = new Map<string, Map<number, CodeListItem>>();
  for (const [name, items] of Object.entries(decoded.right.lists)) {
    if (!(CODE_LIST_NAMES as readonly string[]).includes(name)) {
      throw new CodeListFileError(
        `code-list file names an unknown list "${name}"; known lists: ${CODE_LIST_NAMES.join(', ')}`,
      );
    }
    const byCode = new Map<number, CodeListItem>();
    for (const item of items) {
      if (byCode.has(item.code)) {
        throw new CodeListFileError(`code list ${name} holds code ${item.code} twice`);
      }
      byCode.set(item.code, {
        code: item.code,
        name: item.name,
        validFrom: item.validFrom ?? undefined,
        validTo: item.validTo ?? undefined,
      });
    }
    lists.set(name, byCode);
  }
  return new LoadedCodeLists(lists);
}

class LoadedCodeLists implements CodeLists {
  readonly loaded: readonly CodeListName[];

  constructor(private readonly lists: ReadonlyMap<string, ReadonlyMap<number, CodeListItem>>) {
    this.loaded = CODE_LIST_NAMES.filter((name) => lists.has(name));
  }

  check(field: CodeField, path: string, code: number, at: Date): Violation | undefined {
    const listName: CodeListName = CODE_LIST_OF_FIELD[field];
    const list = this.lists.get(listName);
    if (list === undefined) return undefined;
    const item = list.get(code);
    if (item === undefined) {
      return { path, fejlkode: 2002, message: `is not a code in ${listName}` };
    }
    const notYet = item.validFrom !== undefined && at < item.validFrom;
    const expired = item.validTo !== undefined && at >= item.validTo;
    if (notYet || expired) {
      return { path, fejlkode: 2003, message: `is not valid in ${listName} at the time of the request` };
    }
    return undefined;
  }
}

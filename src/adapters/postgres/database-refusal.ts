import { isDatabaseUnavailable } from './connection';

/**
 * How group commit tells a failure of the database itself (shared by the whole batch) from a
 * refusal of what one work wrote (the batch is split down to that work), and what of either may
 * be logged.
 */
/** A serialisation failure or deadlock is nobody's fault: the same batch runs again, a few times. */
export const MAX_TRANSIENT_RETRIES = 3;

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isTransient(error: unknown): boolean {
  return sqlState(error)?.startsWith('40') === true;
}

/**
 * Failures of the database itself rather than of something a work wrote: connection exceptions
 * (08), transaction rollback (40), insufficient resources (53), operator intervention (57),
 * system errors (58), or the connection lost.
 */
export function isSharedFailure(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const state = sqlState(error);
  return state !== undefined && ['08', '40', '53', '57', '58'].includes(state.slice(0, 2));
}

/** What may be logged of a database error: its SQLSTATE and where, never the message or a value. */
export interface RefusalDetails {
  readonly sqlState: string | undefined;
  /** The error's class name, for failures that did not come from PostgreSQL. */
  readonly error: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
}

export function refusalDetails(error: unknown): RefusalDetails {
  const e = error as { table?: unknown; column?: unknown; constraint?: unknown } | undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const table = text(e?.table);
  const column = text(e?.column);
  const constraint = text(e?.constraint);
  return {
    sqlState: sqlState(error),
    error: error instanceof Error ? error.name : typeof error,
    ...(table !== undefined ? { table } : {}),
    ...(column !== undefined ? { column } : {}),
    ...(constraint !== undefined ? { constraint } : {}),
  };
}

/**
 * The database refused what one work wrote, by itself (its batch was split down to it). Carries
 * the SQLSTATE and where, never the database's message, which may quote the value.
 */
export class RowRefusedError extends Error {
  readonly code: string | undefined;
  constructor(readonly details: RefusalDetails) {
    super(
      (details.sqlState !== undefined
        ? `PostgreSQL refused the row: SQLSTATE ${details.sqlState}`
        : `the row could not be written: ${details.error}`) +
        (details.column !== undefined ? `, column ${details.column}` : '') +
        (details.constraint !== undefined ? `, constraint ${details.constraint}` : ''),
    );
    this.name = 'RowRefusedError';
    this.code = details.sqlState;
  }
}

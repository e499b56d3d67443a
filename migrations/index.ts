import type { Migration, MigrationProvider } from 'kysely/migration';
import * as outbox from './0001-outbox';
import * as operations from './0003-operations';
import * as traceContext from './0004-trace-context';
import * as deliveryRecord from './0005-delivery-record';
import * as actionLogReads from './0006-action-log-reads';
import * as redactionRecord from './0007-redaction-record';

/**
 * Every migration, in order. Listed here rather than read from the folder so that the built
 * gateway carries them and no file-system layout can drop one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-outbox': outbox,
  // There is no 0002: the relay needed no schema of its own. Names are recorded once applied, so
  // 0003 keeps its number.
  '0003-operations': operations,
  '0004-trace-context': traceContext,
  '0005-delivery-record': deliveryRecord,
  '0006-action-log-reads': actionLogReads,
  '0007-redaction-record': redactionRecord,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};

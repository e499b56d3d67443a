import type { Migration, MigrationProvider } from 'kysely/migration';
import * as outbox from './0001-outbox';
import * as operations from './0003-operations';
import * as outboxHead from './0005-outbox-head';

/**
 * Every migration, in order. Listed here rather than read from the folder so that the built
 * gateway carries them and no file-system layout can drop one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-outbox': outbox,
  // '0002-…': reserved for the relay.
  '0003-operations': operations,
  '0005-outbox-head': outboxHead,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Where the auditors' ready queries live, one file each (docs/auditing.md links them). */
export const AUDIT_QUERIES_DIR = join(__dirname, '../../docs/auditing/queries');

/** Every ready query: its file, the title its first line gives ("-- Query: …") and its text, verbatim. */
export function documentedQueries(): Array<{ file: string; title: string; sql: string }> {
  return readdirSync(AUDIT_QUERIES_DIR)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(AUDIT_QUERIES_DIR, file), 'utf8');
      const title = /^-- Query: (.*)$/m.exec(sql)?.[1];
      if (title === undefined) throw new Error(`${file} does not start with "-- Query: <title>"`);
      return { file, title, sql };
    });
}

/** Replaces psql's `:'name'` variables with quoted literals. */
export function withVariables(sql: string, variables: Record<string, string>): string {
  return sql.replace(/:'([a-z_]+)'/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`documented query uses :'${name}', which is not set`);
    return pg.Client.prototype.escapeLiteral(value);
  });
}

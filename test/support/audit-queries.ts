import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** The ```sql blocks of docs/auditing.md that start with "-- Query:", verbatim. */
export function documentedQueries(): Array<{ title: string; sql: string }> {
  const markdown = readFileSync(join(__dirname, '../../docs/auditing.md'), 'utf8');
  return [...markdown.matchAll(/```sql\n(-- Query: ([^\n]*)\n[\s\S]*?)```/g)].map((m) => ({
    title: m[2] ?? '',
    sql: m[1] ?? '',
  }));
}

/** Replaces psql's `:'name'` variables with quoted literals. */
export function withVariables(sql: string, variables: Record<string, string>): string {
  return sql.replace(/:'([a-z_]+)'/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`documented query uses :'${name}', which is not set`);
    return pg.Client.prototype.escapeLiteral(value);
  });
}

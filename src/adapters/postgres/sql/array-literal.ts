/**
 * A PostgreSQL array literal (`{1,2,3}`) of values that need no quoting: bigint seqs as text and
 * uuids, which hold only digits, letters and hyphens. Sent as one text parameter and cast in the
 * statement (`::bigint[]`, `::uuid[]`), it saves pg's per-element escaping of a JavaScript array
 * parameter, which the relay's claims (thousands of held seqs each) and settles pay on every call.
 */
export function plainArrayLiteral(values: readonly string[]): string {
  return `{${values.join(',')}}`;
}

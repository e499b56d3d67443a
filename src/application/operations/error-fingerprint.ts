/**
 * How a relay error becomes the text a failure group is keyed by: ids, hex strings and numbers
 * replaced, so that "timeout after 5000 ms for 3f2b…" and "timeout after 4000 ms for 9a8b…" are
 * one group. Each rule is one plain pattern that PostgreSQL's regexp_replace and JavaScript's
 * RegExp read alike (no alternation, no word boundaries: the two engines differ there), applied in
 * order, so the SQL adapter and the in-memory fake share this list. The group's fingerprint is the
 * MD5 hex digest of the normalised text (UTF-8), computed by each adapter.
 */
export const ERROR_NORMALISATION: ReadonlyArray<{ readonly pattern: string; readonly replacement: string }> =
  [
    {
      pattern: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
      replacement: '<id>',
    },
    { pattern: '0[xX][0-9a-fA-F]+', replacement: '<hex>' },
    { pattern: '[0-9a-fA-F]{8,}', replacement: '<hex>' },
    { pattern: '[0-9]+', replacement: '<n>' },
  ];

export function normaliseError(text: string): string {
  return ERROR_NORMALISATION.reduce(
    (normalised, rule) => normalised.replace(new RegExp(rule.pattern, 'g'), rule.replacement),
    text,
  );
}

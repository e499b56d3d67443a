/** Prints one line of a bench's output. */
export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The p-th percentile of ascending `sorted` values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

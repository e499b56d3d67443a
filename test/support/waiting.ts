export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const t0 = performance.now();
/**
 * A timestamped progress line (seconds since the run started), for the slow steps of the fault
 * suite and of private engines. FAULTS_QUIET silences it, as `npm test` does.
 */
export function progress(text: string): void {
  if (process.env.FAULTS_QUIET === undefined)
    process.stdout.write(`        [${((performance.now() - t0) / 1000).toFixed(1)} s] ${text}\n`);
}

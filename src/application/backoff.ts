/**
 * Capped exponential backoff with jitter: the n-th retry (n from 0) waits between half and all of
 * min(max, base·2ⁿ), so relays that failed together do not retry together. The relay use case and
 * the reconnecting adapters (RabbitMQ, the LISTEN connection) share it.
 */
export function retryDelayMs(n: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(n, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

import type { ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import { bulkBody } from './outbox-rows';

/**
 * Checks what a consumer received from bulk rows: every row arrived; duplicates carry the same
 * messageId and body; and per entity, the first copies arrived in row order (no overtaking).
 * Returns the number of duplicates.
 */
export function checkDelivery(
  messages: readonly ConsumeMessage[],
  expected: ReadonlyMap<string, number>,
): { duplicates: number } {
  const seen = new Map<string, number>();
  const lastPerEntity = new Map<number, number>();
  let duplicates = 0;
  for (const message of messages) {
    const id = message.properties.messageId as string;
    const { n, entity } = bulkBody(message.content);
    expect(expected.get(id), `messageId ${id} belongs to row ${n}`).to.equal(n);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.set(id, n);
    const last = lastPerEntity.get(entity) ?? -1;
    expect(n, `entity ${entity}: row ${n} after row ${last}`).to.be.greaterThan(last);
    lastPerEntity.set(entity, n);
  }
  expect(seen.size, 'distinct messages received').to.equal(expected.size);
  return { duplicates };
}

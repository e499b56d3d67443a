import type { Hold, OutboxEntry, RecordedAction } from './ports';

/** What holds a message that is not held by another one: delivered, parked, backing off or due. */
export function ownHold(
  entry: OutboxEntry,
  parkedBy: RecordedAction | null,
  now: Date,
): Exclude<Hold, { _tag: 'BlockedBy' }> {
  if (entry.status === 'delivered') return { _tag: 'Delivered' };
  if (entry.status === 'parked') return { _tag: 'Parked', parkedBy };
  const until = entry.nextAttemptAt;
  return until !== null && until.getTime() > now.getTime() ? { _tag: 'BackingOff', until } : { _tag: 'Due' };
}

/**
 * What a message waits for (OutboxExplorer.detail and entity), given its entity's head: the
 * oldest undelivered message of the entity, which the relay sends first. A pending message behind
 * the head waits for it, whatever its own backoff; a parked one is parked either way.
 * `parkedBy` looks up the action that parked a parked message (the head or the message itself).
 */
export function holdOf(
  entry: OutboxEntry,
  head: OutboxEntry | undefined,
  parkedBy: (messageId: string) => RecordedAction | null,
  now: Date,
): Hold {
  if (entry.status === 'pending' && head !== undefined && BigInt(head.seq) < BigInt(entry.seq)) {
    return { _tag: 'BlockedBy', blocker: head, blockerHold: ownHold(head, parkedBy(head.messageId), now) };
  }
  return ownHold(entry, parkedBy(entry.messageId), now);
}

/** The W3C trace id of a traceparent (`00-<trace id>-<span id>-<flags>`). */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  return /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent ?? '')?.[1] ?? null;
}

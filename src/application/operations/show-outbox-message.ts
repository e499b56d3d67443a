import type { OutboxEntry, OutboxReadModel } from './ports';

export interface ShowOutboxMessageQuery {
  /** A message id or a request id. */
  readonly id: string;
  /** The payload carries personal data: only on explicit request. */
  readonly withPayload: boolean;
}

export interface ShownOutboxMessage {
  readonly entry: OutboxEntry;
  /** Undefined when not asked for; null when redacted. */
  readonly payload?: Readonly<Record<string, unknown>> | null;
}

export type ShowOutboxMessageResult =
  | { readonly _tag: 'Found'; readonly messages: readonly ShownOutboxMessage[] }
  | { readonly _tag: 'NotFound' };

/** `outbox show`: one message's metadata, looked up by message id or request id. */
export class ShowOutboxMessage {
  constructor(private readonly outbox: OutboxReadModel) {}

  async execute(query: ShowOutboxMessageQuery): Promise<ShowOutboxMessageResult> {
    const entries = await this.outbox.find(query.id.trim());
    if (entries.length === 0) return { _tag: 'NotFound' };
    const messages: ShownOutboxMessage[] = [];
    for (const entry of entries) {
      messages.push(
        query.withPayload ? { entry, payload: await this.outbox.payloadOf(entry.messageId) } : { entry },
      );
    }
    return { _tag: 'Found', messages };
  }
}

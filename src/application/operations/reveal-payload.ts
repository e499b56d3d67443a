import { checkContext, type OperatorCommandRejection } from './operator-command';
import type { OperatorUnitOfWork, OutboxReadModel } from './ports';

export interface RevealPayloadCommand {
  /** The message id of one message (the caller resolves a request id first). */
  readonly messageId: string;
  readonly actor: string;
  readonly reason: string;
}

export type RevealPayloadResult =
  | {
      readonly _tag: 'Revealed';
      readonly messageId: string;
      /** Null once redacted: there is nothing left to show. */
      readonly payload: Readonly<Record<string, unknown>> | null;
    }
  | OperatorCommandRejection;

/**
 * A payload shown to a person (the console's reveal, `outbox show --payload`). The payload carries
 * personal data, so the reveal is recorded in the action log, with who and why, before the payload
 * is read: a reveal that could not be recorded shows nothing.
 */
export class RevealPayload {
  constructor(
    private readonly readModel: OutboxReadModel,
    private readonly unitOfWork: OperatorUnitOfWork,
  ) {}

  async execute(command: RevealPayloadCommand): Promise<RevealPayloadResult> {
    const invalid = checkContext({ ...command, dryRun: false });
    if (invalid !== undefined) return invalid;
    const entry = (await this.readModel.find(command.messageId)).find(
      (e) => e.messageId === command.messageId.toLowerCase(),
    );
    if (entry === undefined) return { _tag: 'NotFound', messageId: command.messageId };
    await this.unitOfWork.run(({ actions }) =>
      actions.record({
        action: 'reveal',
        messageId: entry.messageId,
        requestId: entry.requestId,
        actor: command.actor,
        reason: command.reason,
        dryRun: false,
        details: { redacted: entry.redactedAt !== null },
      }),
    );
    return {
      _tag: 'Revealed',
      messageId: entry.messageId,
      payload: await this.readModel.payloadOf(entry.messageId),
    };
  }
}

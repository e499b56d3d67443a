import { checkContext, type OperatorCommandContext, type OperatorCommandRejection } from './operator-command';
import type { OperatorUnitOfWork } from './ports';

export interface ParkOutboxMessageCommand extends OperatorCommandContext {
  readonly messageId: string;
}

export type ParkOutboxMessageResult =
  | { readonly _tag: 'Parked'; readonly messageId: string; readonly dryRun: boolean }
  | OperatorCommandRejection;

/**
 * `outbox park`: takes a pending row out of the relay's hands. Its entity's later rows wait
 * behind it (per-entity order), until an operator replays it.
 */
export class ParkOutboxMessage {
  constructor(private readonly unitOfWork: OperatorUnitOfWork) {}

  async execute(command: ParkOutboxMessageCommand): Promise<ParkOutboxMessageResult> {
    const invalid = checkContext(command);
    if (invalid !== undefined) return invalid;
    return this.unitOfWork.run(async ({ outbox, actions }) => {
      const row = await outbox.lock(command.messageId);
      if (row === undefined) return { _tag: 'NotFound', messageId: command.messageId };
      if (row.status !== 'pending') {
        return { _tag: 'WrongStatus', messageId: row.messageId, status: row.status, allowed: 'pending' };
      }
      if (!command.dryRun) await outbox.park(row.messageId);
      await actions.record({
        action: 'park',
        messageId: row.messageId,
        requestId: row.requestId,
        actor: command.actor,
        reason: command.reason,
        dryRun: command.dryRun,
        details: {
          previousStatus: row.status,
          previousAttempts: row.attempts,
          previousLastError: row.lastError,
        },
      });
      return { _tag: 'Parked', messageId: row.messageId, dryRun: command.dryRun };
    });
  }
}

import { checkContext, type OperatorCommandContext, type OperatorCommandRejection } from './operator-command';
import type { OutboxEntry, OperatorUnitOfWork } from './ports';

export interface ReplayOutboxMessagesCommand extends OperatorCommandContext {
  readonly target: { readonly messageId: string } | 'all-parked';
}

export type ReplayOutboxMessagesResult =
  | { readonly _tag: 'Replayed'; readonly messageIds: readonly string[]; readonly dryRun: boolean }
  | OperatorCommandRejection;

/**
 * `outbox replay`: a parked (or stuck pending) row goes back to pending with its attempts reset
 * and is due at once; the relay publishes it again under the same message id. A delivered row is
 * never replayed. The change and its operator_action record commit in one transaction; a dry run
 * changes nothing but is recorded too, so the log shows who looked.
 */
export class ReplayOutboxMessages {
  constructor(private readonly unitOfWork: OperatorUnitOfWork) {}

  async execute(command: ReplayOutboxMessagesCommand): Promise<ReplayOutboxMessagesResult> {
    const invalid = checkContext(command);
    if (invalid !== undefined) return invalid;
    const target = command.target;
    return this.unitOfWork.run(async ({ outbox, actions }) => {
      let rows: OutboxEntry[];
      if (target === 'all-parked') {
        rows = await outbox.lockAllParked();
      } else {
        const row = await outbox.lock(target.messageId);
        if (row === undefined) return { _tag: 'NotFound', messageId: target.messageId };
        if (row.status === 'delivered') {
          return {
            _tag: 'WrongStatus',
            messageId: row.messageId,
            status: row.status,
            allowed: 'parked, pending',
          };
        }
        rows = [row];
      }
      const messageIds = rows.map((r) => r.messageId);
      if (!command.dryRun) await outbox.replay(messageIds);
      const single = target === 'all-parked' ? undefined : rows[0];
      await actions.record({
        action: 'replay',
        messageId: single?.messageId ?? null,
        requestId: single?.requestId ?? null,
        actor: command.actor,
        reason: command.reason,
        dryRun: command.dryRun,
        details:
          single !== undefined
            ? {
                previousStatus: single.status,
                previousAttempts: single.attempts,
                previousLastError: single.lastError,
              }
            : { scope: 'all-parked', count: messageIds.length },
        ...(single === undefined ? { messageIds } : {}),
      });
      return { _tag: 'Replayed', messageIds, dryRun: command.dryRun };
    });
  }
}

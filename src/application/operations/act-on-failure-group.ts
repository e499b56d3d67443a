import { checkContext, type OperatorCommandRejection } from './operator-command';
import type { OperatorUnitOfWork, OutboxEntry, OutboxExplorer } from './ports';

export interface ActOnFailureGroupCommand {
  readonly action: 'replay' | 'park';
  readonly fingerprint: string;
  /** How many messages the operator was shown in the group's preview. */
  readonly expected: number;
  readonly actor: string;
  readonly reason: string;
}

export type ActOnFailureGroupResult =
  | { readonly _tag: 'Done'; readonly action: 'replay' | 'park'; readonly messageIds: readonly string[] }
  /** The group is not what the operator saw: nothing was changed. */
  | { readonly _tag: 'GroupChanged'; readonly expected: number; readonly actual: number }
  | OperatorCommandRejection;

/**
 * Replay or park every undelivered message of one failure group (the console's group action).
 * The operator confirmed a count in a preview; if the group no longer has exactly that many
 * undelivered messages, nothing changes, so an action never touches messages nobody saw. Park
 * leaves members already parked as they are. The change and its one action record (every message
 * id it touched) commit together.
 */
export class ActOnFailureGroup {
  constructor(
    private readonly explorer: OutboxExplorer,
    private readonly unitOfWork: OperatorUnitOfWork,
  ) {}

  async execute(command: ActOnFailureGroupCommand): Promise<ActOnFailureGroupResult> {
    const invalid = checkContext({ ...command, dryRun: false });
    if (invalid !== undefined) return invalid;
    const members = await this.explorer.failureGroupMembers(command.fingerprint);
    if (members.length !== command.expected) {
      return { _tag: 'GroupChanged', expected: command.expected, actual: members.length };
    }
    return this.unitOfWork.run(async ({ outbox, actions }) => {
      const locked: OutboxEntry[] = [];
      for (const member of members) {
        const row = await outbox.lock(member.messageId);
        // Delivered (or gone) since the preview was read: the group changed under us.
        if (row === undefined || row.status === 'delivered') {
          return { _tag: 'GroupChanged', expected: command.expected, actual: locked.length };
        }
        locked.push(row);
      }
      const touched = command.action === 'replay' ? locked : locked.filter((row) => row.status === 'pending');
      const messageIds = touched.map((row) => row.messageId);
      if (command.action === 'replay') await outbox.replay(messageIds);
      else for (const id of messageIds) await outbox.park(id);
      await actions.record({
        action: command.action,
        messageId: null,
        requestId: null,
        actor: command.actor,
        reason: command.reason,
        dryRun: false,
        details: { scope: 'failure-group', fingerprint: command.fingerprint, count: messageIds.length },
        messageIds,
      });
      return { _tag: 'Done', action: command.action, messageIds };
    });
  }
}

import { checkContext, type OperatorCommandRejection } from './operator-command';
import type { OperatorUnitOfWork, OutboxEntry, OutboxExplorer } from './ports';

export interface SearchSubjectAccessCommand {
  readonly cprNummer: string;
  readonly actor: string;
  readonly reason: string;
}

export type SearchSubjectAccessResult =
  | { readonly _tag: 'Found'; readonly entries: readonly OutboxEntry[] }
  | { readonly _tag: 'InvalidCpr' }
  | OperatorCommandRejection;

/** Ten digits, with or without the dash after the birth date. */
export function normaliseCprNummer(value: string): string | undefined {
  const match = /^\s*(\d{6})-?(\d{4})\s*$/.exec(value);
  return match === null ? undefined : `${match[1]}${match[2]}`;
}

/**
 * A search of the outbox by CPR number (a data subject's access request, an auditor's question).
 * Searching personal data is itself logged: the action log gets who, why and which messages the
 * search found, in the same step as the answer, so no answer leaves without its record. The CPR
 * number itself is never written to the log.
 */
export class SearchSubjectAccess {
  constructor(
    private readonly explorer: OutboxExplorer,
    private readonly unitOfWork: OperatorUnitOfWork,
  ) {}

  async execute(command: SearchSubjectAccessCommand): Promise<SearchSubjectAccessResult> {
    const invalid = checkContext({ ...command, dryRun: false });
    if (invalid !== undefined) return invalid;
    const cprNummer = normaliseCprNummer(command.cprNummer);
    if (cprNummer === undefined) return { _tag: 'InvalidCpr' };
    const entries = await this.explorer.subjectAccess(cprNummer);
    const messageIds = entries.map((entry) => entry.messageId);
    await this.unitOfWork.run(({ actions }) =>
      actions.record({
        action: 'subject-access',
        messageId: null,
        requestId: null,
        actor: command.actor,
        reason: command.reason,
        dryRun: false,
        details: { count: messageIds.length },
        messageIds,
      }),
    );
    return { _tag: 'Found', entries };
  }
}

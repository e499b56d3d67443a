/** What every operator change carries: who, why, and whether it only shows what it would do. */
export interface OperatorCommandContext {
  readonly actor: string;
  readonly reason: string;
  readonly dryRun: boolean;
}

export type OperatorCommandRejection =
  | { readonly _tag: 'MissingReason' }
  | { readonly _tag: 'MissingActor' }
  | { readonly _tag: 'NotFound'; readonly messageId: string }
  | {
      readonly _tag: 'WrongStatus';
      readonly messageId: string;
      readonly status: string;
      readonly allowed: string;
    };

export function checkContext(context: OperatorCommandContext): OperatorCommandRejection | undefined {
  if (context.reason.trim() === '') return { _tag: 'MissingReason' };
  if (context.actor.trim() === '') return { _tag: 'MissingActor' };
  return undefined;
}

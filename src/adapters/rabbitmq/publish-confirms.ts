import type { PublishOutcome } from '../../application/relay/ports';

export const CONFIRMED: PublishOutcome = { ok: true };
export const NACKED: PublishOutcome = { ok: false, reason: 'nack', detail: 'the broker nacked the message' };

/**
 * The outcomes of one publish call: resolves with them once every message has one, the first
 * outcome of each message counting (a confirm after the timeout changes nothing). One object per
 * call, so that a message's confirm callback captures only it and the message's index.
 */
export class Confirms {
  private readonly outcomes: Array<PublishOutcome | undefined>;
  private open: number;
  timer: NodeJS.Timeout | undefined;

  constructor(
    count: number,
    private readonly resolve: (outcomes: PublishOutcome[]) => void,
  ) {
    this.outcomes = new Array<PublishOutcome | undefined>(count);
    this.open = count;
  }

  settle(i: number, outcome: PublishOutcome): void {
    if (this.outcomes[i] !== undefined) return;
    this.outcomes[i] = outcome;
    if (--this.open === 0) {
      clearTimeout(this.timer);
      this.resolve(this.outcomes as PublishOutcome[]);
    }
  }

  giveUp(outcome: PublishOutcome): void {
    for (let i = 0; i < this.outcomes.length && this.open > 0; i++) this.settle(i, outcome);
  }
}

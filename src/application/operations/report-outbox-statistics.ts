import type { DeliveredCount, OutboxReadModel, OutboxStatistics } from './ports';

/** `outbox stats` and the console's overview: how much is waiting, for how long, and how many entities are stuck. */
export class ReportOutboxStatistics {
  constructor(private readonly outbox: OutboxReadModel) {}

  execute(delivered: DeliveredCount): Promise<OutboxStatistics> {
    return this.outbox.statistics(delivered);
  }
}

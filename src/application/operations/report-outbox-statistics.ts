import type { OutboxReadModel, OutboxStatistics } from './ports';

/** `outbox stats`: how much is waiting, for how long, and how many entities are stuck. */
export class ReportOutboxStatistics {
  constructor(private readonly outbox: OutboxReadModel) {}

  execute(): Promise<OutboxStatistics> {
    return this.outbox.statistics();
  }
}

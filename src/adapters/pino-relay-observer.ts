import type { Logger } from 'pino';
import type { FailedMessage, PublishFailureReason, RelayObserver } from '../application/relay/ports';
import { errorMessage } from './logging';

/** Failed messages named one line each per batch; the rest of a large batch in one summary line. */
const NAMED_PER_BATCH = 10;

/** Logs what the relay reports: every failure with its reason, routine progress at debug. */
export class PinoRelayObserver implements RelayObserver {
  constructor(private readonly logger: Logger) {}

  batchClaimed(size: number): void {
    this.logger.debug({ size }, 'claimed a batch');
  }

  delivered(count: number): void {
    this.logger.debug({ count }, 'delivered');
  }

  /**
   * One line per failed message, naming it and its entity so that `outbox show <messageId>` follows
   * from the log; never a payload. A broker outage fails a whole batch: its first messages are named,
   * the rest counted.
   */
  publishFailed(
    reason: PublishFailureReason,
    count: number,
    detail: string,
    messages: readonly FailedMessage[],
  ): void {
    for (const { messageId, eksternIdentifier, attempts } of messages.slice(0, NAMED_PER_BATCH)) {
      this.logger.warn(
        { reason, messageId, eksternIdentifier, attempts: attempts + 1, detail },
        'publish failed; the message stays pending and is retried',
      );
    }
    if (count > NAMED_PER_BATCH) {
      this.logger.warn(
        { reason, count: count - NAMED_PER_BATCH, detail },
        'publish failed for more messages of the same batch; they stay pending and are retried',
      );
    }
  }

  confirmLatency(): void {}

  storeFailed(operation: 'claim' | 'settle' | 'release', error: unknown, retryInMs: number): void {
    this.logger.warn(
      { operation, err: errorMessage(error), retryInMs },
      operation === 'settle'
        ? 'could not record publish outcomes; the rows stay pending and will be published again'
        : `outbox ${operation} failed`,
    );
  }
}

/** Passes every report to each observer in turn (e.g. logs and metrics). */
export function observeAll(...observers: readonly RelayObserver[]): RelayObserver {
  return {
    batchClaimed: (size) => observers.forEach((o) => o.batchClaimed(size)),
    delivered: (count) => observers.forEach((o) => o.delivered(count)),
    publishFailed: (reason, count, detail, messages) =>
      observers.forEach((o) => o.publishFailed(reason, count, detail, messages)),
    confirmLatency: (ms) => observers.forEach((o) => o.confirmLatency(ms)),
    storeFailed: (operation, error, retryInMs) =>
      observers.forEach((o) => o.storeFailed(operation, error, retryInMs)),
  };
}

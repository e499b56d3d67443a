import type { Logger } from 'pino';
import type { RedactionReport, RedactPayloads } from '../../application/operations/redact-payloads';
import { summarise } from '../logging';

/**
 * Runs the redaction sweep every `intervalMs` (REDACTION_INTERVAL_SECONDS) in the relay process.
 * Sweeps never overlap: the next is scheduled when the last has finished. `stop()` interrupts a
 * sweep between batches and resolves when it has ended.
 */
export class RedactionRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private stopped = true;

  constructor(
    private readonly redactPayloads: RedactPayloads,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(firstDelayMs = 1000): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep now; errors are logged, never thrown (the next sweep retries). */
  async sweep(): Promise<RedactionReport | undefined> {
    try {
      const report = await this.redactPayloads.execute({ dryRun: false, signal: this.abort.signal });
      if (report.retention > 0 || report.gdpr > 0 || report.erasuresWaiting > 0) {
        this.logger.info({ ...report }, 'payload redaction sweep');
      }
      return report;
    } catch (error) {
      this.logger.warn({ err: summarise(error) }, 'payload redaction sweep failed; retrying next interval');
      return undefined;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.sweep().then(() => {
        this.running = undefined;
        this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}

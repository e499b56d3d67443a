import pg from 'pg';
import type { Logger } from 'pino';
import { abortableSleep } from '../../application/abortable-sleep';
import { retryDelayMs } from '../../application/backoff';
import type { OutboxWakeUp } from '../../application/relay/ports';
import type { LatencyTrace } from '../latency-trace';
import { errorMessage } from '../logging';

/** The channel intake notifies (once per committed batch) when it is configured to. */
export const OUTBOX_CHANNEL = 'wsb_outbox';

/**
 * Wakes the relay on `NOTIFY wsb_outbox`, on its own connection (LISTEN needs a session of its
 * own), reconnecting with backoff. Every wait also ends after its timeout, so the relay polls
 * even when nobody notifies or the listening connection is down.
 */
export class PgListenWakeUp implements OutboxWakeUp {
  private waiters = new Set<() => void>();
  /** A notification that arrived while nobody was waiting: the next wait returns at once. */
  private missed = false;
  private client: pg.Client | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeLoop: () => void = () => undefined;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly trace?: LatencyTrace,
  ) {}

  start(): void {
    this.loop ??= this.listenLoop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeLoop();
    await this.client?.end().catch(() => undefined);
    await this.loop;
  }

  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.missed || signal.aborted) {
      this.missed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  private wake(): void {
    if (this.waiters.size === 0) {
      this.missed = true;
      return;
    }
    for (const w of [...this.waiters]) w();
  }

  private async listenLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const client = new pg.Client({
        connectionString: this.connectionString,
        application_name: `wsb-gateway relay listen pid ${process.pid}`,
      });
      const lost = new Promise<void>((resolve) => {
        client.on('error', (error) => {
          this.logger.warn({ err: error.message }, 'the LISTEN connection failed; polling meanwhile');
          resolve();
        });
        client.on('end', () => resolve());
      });
      client.on('notification', (message) => {
        this.trace?.record({ event: 'notified', n: message.payload, at: this.trace.now() });
        this.wake();
      });
      try {
        await client.connect();
        await client.query(`listen ${OUTBOX_CHANNEL}`);
        this.client = client;
        failures = 0;
        this.logger.info({ channel: OUTBOX_CHANNEL }, 'listening for outbox notifications');
        // Rows may have arrived while we were not listening.
        this.wake();
        await lost;
      } catch (error) {
        this.logger.warn({ err: errorMessage(error) }, 'could not LISTEN');
      }
      this.client = undefined;
      await client.end().catch(() => undefined);
      if (this.stopping) break;
      const delay = retryDelayMs(failures++, 500, 30_000, Math.random);
      this.logger.info({ retryInMs: delay }, 'reconnecting the LISTEN connection after backoff');
      const interrupt = new AbortController();
      this.wakeLoop = () => interrupt.abort();
      await abortableSleep(delay, interrupt.signal);
    }
  }
}

import { type ChannelModel, type ConfirmChannel, connect, type SocketOptions } from 'amqplib';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { abortableSleep } from '../../application/abortable-sleep';
import { retryDelayMs } from '../../application/backoff';
import type { MessagePublisher, PublishOutcome, RelayMessage } from '../../application/relay/ports';
import { brokerAddresses, brokerHost } from './broker-addresses';
import { errorMessage } from '../logging';
import { describe } from './describe-error';
import { messageProperties } from './message-properties';
import { CONFIRMED, Confirms, NACKED } from './publish-confirms';
import { asBuffer, connectionSocket, corkWhileWriting, SOCKET_BUFFER_BYTES } from './socket-writes';
import { declareTopology, type QueueSpec } from './topology';

const CONNECT_TIMEOUT_MS = 5_000;

export interface AmqpPublisherSettings {
  /** One broker URL, or a cluster's nodes as a comma-separated list (broker-addresses.ts). */
  readonly url: string;
  /** Declared (topic, durable) at every (re)connect. */
  readonly exchange: string;
  /** Declared and bound to the exchange at every (re)connect. */
  readonly queues: readonly QueueSpec[];
  readonly appId: string;
  /** How long a publish waits for its confirm before it counts as failed (`timeout`). */
  readonly confirmTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Shown in RabbitMQ's connection list. */
  readonly connectionName: string;
}

interface Connected {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  /** The connection's socket (amqplib keeps it as `connection.stream`), corked while a batch is written. */
  readonly socket: Writable | undefined;
  /** messageIds the broker returned as unroutable and whose confirm has not come yet. */
  readonly returned: Set<string>;
  /** Nacks since the last ack on this channel. */
  nacksInARow: number;
}

/**
 * Nacks in a row, with no ack between, after which the channel is taken for sick and the
 * connection is opened again (on the next node of a cluster). A nack is rare and means the
 * broker could not take the message; but RabbitMQ 3.10 was seen (fault scenario 7) to nack every
 * publish of a channel opened while a quorum queue was electing a new leader, for minutes, while a
 * new channel was fine.
 */
const NACKS_BEFORE_RECONNECT = 3;

/**
 * One connection's life — connect to a node, declare the topology, publish with confirms and
 * returns, nacks, `connection.blocked`, loss and failover — as one state machine. Publishes on a
 * confirm channel with the properties of message-properties.ts. A message counts as delivered only
 * on an ack without a preceding `basic.return`: RabbitMQ sends the return of an unroutable
 * mandatory message before its ack, on the same channel, so a return is remembered by messageId
 * and turns the ack that follows into `unroutable`. One connection, one channel; on any loss it
 * reconnects with capped exponential backoff and jitter and declares the topology again.
 */
export class AmqpMessagePublisher implements MessagePublisher {
  private current: Connected | undefined;
  private blocked = false;
  private stopping = false;
  private readonly waiters = new Set<() => void>();
  private loop: Promise<void> | undefined;
  private wakeLoop: () => void = () => undefined;
  private readonly nodes: readonly string[];
  /** The node the next connect tries first: the one after the node last connected to. */
  private nextNode = 0;

  constructor(
    private readonly settings: AmqpPublisherSettings,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.nodes = brokerAddresses(settings.url);
    if (this.nodes.length === 0) throw new Error('AMQP_URL names no broker');
  }

  /** Starts connecting (and reconnecting) in the background. */
  start(): void {
    this.loop ??= this.connectLoop();
  }

  /** Closes the connection; publishes still waiting for a confirm fail with `connection`. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeLoop();
    const current = this.current;
    if (current !== undefined) await current.connection.close().catch(() => undefined);
    await this.loop;
    for (const w of this.waiters) w();
  }

  /** Connected, topology declared, and not blocked by the broker: for readiness checks. */
  get isReady(): boolean {
    return this.current !== undefined && !this.blocked;
  }

  ready(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted || this.stopping) return Promise.resolve(false);
    if (this.isReady) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        if (!signal.aborted && !this.stopping && !this.isReady) return;
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted && !this.stopping);
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  publish(messages: readonly RelayMessage[]): Promise<PublishOutcome[]> {
    const current = this.current;
    if (current === undefined || this.blocked) {
      const outcome: PublishOutcome =
        current === undefined
          ? { ok: false, reason: 'connection', detail: 'not connected to the broker' }
          : {
              ok: false,
              reason: 'blocked',
              detail: 'the broker is blocking publishers (connection.blocked)',
            };
      return Promise.resolve(messages.map(() => outcome));
    }
    if (messages.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const confirms = new Confirms(messages.length, resolve);
      confirms.timer = setTimeout(() => {
        const detail = `no publisher confirm within ${this.settings.confirmTimeoutMs} ms${this.blocked ? ' (connection blocked)' : ''}`;
        confirms.giveUp({ ok: false, reason: 'timeout', detail });
      }, this.settings.confirmTimeoutMs);
      const { channel } = current;
      const written = corkWhileWriting(current.socket);
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i] as RelayMessage;
        if (message.exchange !== this.settings.exchange) {
          // Publishing to an exchange that may not exist would close the channel (404) and fail
          // every message in flight, over and over; refuse just this one, visibly.
          confirms.settle(i, {
            ok: false,
            reason: 'unroutable',
            detail: `the row names exchange ${message.exchange}, but the relay publishes to ${this.settings.exchange}`,
          });
          continue;
        }
        try {
          // The return value only says the socket buffer is over its mark; the message is
          // buffered either way, and the relay's window (batch size × batches in flight) bounds it.
          channel.publish(
            message.exchange,
            message.routingKey,
            asBuffer(message.body),
            messageProperties(message, this.settings.appId),
            (error: unknown) => confirms.settle(i, this.outcome(current, message, error)),
          );
        } catch (error) {
          confirms.settle(i, { ok: false, reason: 'connection', detail: errorMessage(error) });
        }
      }
      written();
    });
  }

  /** The outcome of one publish from its confirm callback's argument and the returns seen before. */
  private outcome(current: Connected, message: RelayMessage, error: unknown): PublishOutcome {
    const wasReturned = current.returned.size > 0 && current.returned.delete(message.messageId);
    if (error !== null && error !== undefined) {
      const text = errorMessage(error);
      if (text !== 'message nacked') return { ok: false, reason: 'connection', detail: text };
      this.nacked(current);
      return NACKED;
    }
    current.nacksInARow = 0;
    if (!wasReturned) return CONFIRMED;
    return {
      ok: false,
      reason: 'unroutable',
      detail: `no queue is bound for routing key ${message.routingKey} on exchange ${message.exchange}`,
    };
  }

  private nacked(connected: Connected): void {
    connected.nacksInARow++;
    if (connected.nacksInARow !== NACKS_BEFORE_RECONNECT || this.current !== connected) return;
    this.logger.warn(
      { nacksInARow: connected.nacksInARow },
      'RabbitMQ nacks every publish on this channel: reconnecting',
    );
    void connected.connection.close().catch(() => undefined);
  }

  private async connectLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.connectToAnyNode();
        // It was connected until now: the backoff starts over.
        failures = 0;
      } catch (error) {
        this.logger.warn({ err: describe(error) }, 'could not connect to RabbitMQ');
      }
      if (this.stopping) break;
      const delay = retryDelayMs(
        failures++,
        this.settings.reconnectBaseMs,
        this.settings.reconnectMaxMs,
        this.random,
      );
      this.logger.info({ retryInMs: delay, failures }, 'reconnecting to RabbitMQ after backoff');
      const interrupt = new AbortController();
      this.wakeLoop = () => interrupt.abort();
      await abortableSleep(delay, interrupt.signal);
    }
  }

  /**
   * Tries each node once, starting after the node last connected to: after a connection is lost
   * that node is likely the one that went away, so another one is tried first. Backoff (above)
   * comes only once every node has refused.
   */
  private async connectToAnyNode(): Promise<void> {
    let lastError: unknown = new Error('no broker node tried');
    for (let i = 0; i < this.nodes.length; i++) {
      const index = (this.nextNode + i) % this.nodes.length;
      const url = this.nodes[index] as string;
      this.nextNode = (index + 1) % this.nodes.length;
      try {
        // Resolves once this connection is lost (connectOnce's promise adopts `lost`).
        return await this.connectOnce(url);
      } catch (error) {
        lastError = error;
        if (this.nodes.length > 1) {
          this.logger.warn(
            { node: brokerHost(url), err: describe(error) },
            'RabbitMQ node unreachable, trying the next',
          );
        }
      }
    }
    throw lastError;
  }

  /** Connects and declares the topology; resolves once that connection is lost. */
  private async connectOnce(url: string): Promise<void> {
    // amqplib hands these to net.connect/tls.connect, which take the write buffer's size too.
    const options: SocketOptions & { writableHighWaterMark: number } = {
      clientProperties: { connection_name: this.settings.connectionName },
      // A node that is gone without a RST must not hold the failover for the OS's TCP timeout.
      timeout: CONNECT_TIMEOUT_MS,
      writableHighWaterMark: SOCKET_BUFFER_BYTES,
      // amqplib turns Nagle's algorithm on unless told otherwise: a publish written while an earlier
      // segment awaits its ACK would wait for it (up to the peer's delayed-ACK timer). A publish call
      // is written as one corked writev anyway, so nothing is gained by Nagle's coalescing.
      noDelay: true,
    };
    const connection = await connect(url, options);
    let closed!: () => void;
    const lost = new Promise<void>((resolve) => (closed = resolve));
    connection.on('error', (error: Error) =>
      this.logger.warn({ err: describe(error) }, 'RabbitMQ connection error'),
    );
    connection.on('close', () => {
      if (this.current?.connection === connection) this.current = undefined;
      this.blocked = false;
      if (!this.stopping) this.logger.warn('disconnected from RabbitMQ');
      closed();
    });
    connection.on('blocked', (reason: string) => {
      this.blocked = true;
      this.logger.warn({ reason }, 'RabbitMQ blocks publishers (connection.blocked): pausing the relay');
    });
    connection.on('unblocked', () => {
      this.blocked = false;
      this.logger.info('RabbitMQ unblocked publishers');
      this.notifyWaiters();
    });
    try {
      const channel = await connection.createConfirmChannel();
      const returned = new Set<string>();
      channel.on('return', (message: { properties: { messageId?: unknown } }) => {
        const id = message.properties.messageId;
        if (typeof id === 'string') returned.add(id);
      });
      channel.on('error', (error: Error) =>
        this.logger.warn({ err: describe(error) }, 'RabbitMQ channel error'),
      );
      // A channel closed by the broker (e.g. publishing to a missing exchange) takes the
      // connection with it, so that the loop reconnects and declares everything again.
      channel.on('close', () => void connection.close().catch(() => undefined));
      await declareTopology(channel, this.settings.exchange, this.settings.queues);
      this.current = {
        connection,
        channel,
        socket: connectionSocket(connection),
        returned,
        nacksInARow: 0,
      };
      this.logger.info(
        {
          node: brokerHost(url),
          exchange: this.settings.exchange,
          queues: this.settings.queues.map((q) => q.name),
        },
        'connected to RabbitMQ, topology declared',
      );
      this.notifyWaiters();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    return lost;
  }

  private notifyWaiters(): void {
    for (const w of [...this.waiters]) w();
  }
}

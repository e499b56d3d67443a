import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does with the next client-to-server chunk that carries a PostgreSQL simple-query
 * `commit` (as kysely and pg send it), once: forward it and then cut the client off, so the
 * server commits but its answer never arrives; or swallow it and cut the client off while the
 * server side stays open, so the server's backend sits idle in its transaction.
 */
export type CommitCut = 'after-forwarding' | 'instead-of-forwarding';

const COMMIT_QUERY = Buffer.from('commit\0');

/**
 * A TCP proxy in front of a real server, to cut the connection in tests: `cut()` drops every
 * connection and refuses new ones, `restore()` lets them through again; `cutAtNextCommit` cuts
 * one connection exactly at its COMMIT.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private refusing = false;
  private holding = false;
  private commitCut: { mode: CommitCut; done: () => void } | undefined;

  private constructor(
    private readonly server: Server,
    private target: { host: string; port: number },
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, { host: targetHost, port: targetPort });
    server.on('connection', (client) => proxy.accept(client, proxy.target.host, proxy.target.port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    if (this.holding) upstream.pause();
    this.upstreams.add(upstream);
    upstream.on('close', () => this.upstreams.delete(upstream));
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const commitCut = this.commitCut;
      if (commitCut === undefined || !chunk.includes(COMMIT_QUERY)) {
        upstream.write(chunk);
        return;
      }
      this.commitCut = undefined;
      if (commitCut.mode === 'after-forwarding') upstream.end(chunk);
      client.destroy();
      commitCut.done();
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
  }

  /**
   * Stops passing the server's bytes on, without closing anything: a replication link that lags
   * further and further. `release()` lets them through again.
   */
  hold(): void {
    this.holding = true;
    for (const s of this.upstreams) s.pause();
  }

  release(): void {
    this.holding = false;
    for (const s of this.upstreams) s.resume();
  }

  /** New connections go to another server (a promoted standby); existing ones are dropped. */
  retarget(host: string, port: number): void {
    this.target = { host, port };
    for (const s of this.sockets) s.destroy();
  }

  /** Arms a one-shot cut at the next COMMIT; resolves once it has happened. */
  cutAtNextCommit(mode: CommitCut): Promise<void> {
    return new Promise((resolve) => {
      this.commitCut = { mode, done: resolve };
    });
  }

  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

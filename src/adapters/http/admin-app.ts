import Router from '@koa/router';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { registerReadinessGauge } from '../metrics/operations-gauges';

/**
 * One dependency the process needs to do its work (database, broker). Not ready when `check`
 * resolves false, rejects, or takes longer than the admin app's check timeout.
 */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<boolean | void>;
}

export interface AdminAppOptions {
  readonly metrics: GatewayMetrics;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly logger: Logger;
  readonly checkTimeoutMs?: number;
}

type CheckOutcome = 'ok' | 'failed' | 'timeout';

/**
 * The admin port: liveness, readiness and Prometheus metrics, apart from the public intake so that
 * none of it is reachable from VITAS's side and a busy intake cannot starve a probe.
 */
export function createAdminApp(options: AdminAppOptions): Koa {
  const app = new Koa();
  const router = new Router();
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  registerReadinessGauge(options.metrics.registry, async () =>
    Object.fromEntries(
      await Promise.all(
        options.readinessChecks.map(
          async ({ name, check }) => [name, (await runCheck(check, timeoutMs)) === 'ok'] as const,
        ),
      ),
    ),
  );

  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'live' };
  });

  router.get('/health/ready', async (ctx) => {
    const outcomes = await Promise.all(
      options.readinessChecks.map(
        async ({ name, check }) => [name, await runCheck(check, timeoutMs)] as const,
      ),
    );
    const checks = Object.fromEntries(outcomes);
    const ready = outcomes.every(([, outcome]) => outcome === 'ok');
    if (!ready) options.logger.warn({ checks }, 'not ready');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });

  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', options.metrics.contentType());
    ctx.body = await options.metrics.exposition();
  });

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      options.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'admin request failed',
      );
      ctx.status = 500;
      ctx.body = { status: 'error' };
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

async function runCheck(check: ReadinessCheck['check'], timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([
      check().then(
        (result): CheckOutcome => (result === false ? 'failed' : 'ok'),
        (): CheckOutcome => 'failed',
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Listens on `port` (0: an ephemeral port, for tests; ADMIN_PORT=0 means no admin server, decided by the caller). */
export function listenAdmin(app: Koa, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}

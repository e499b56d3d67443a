import Router from '@koa/router';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { ReadinessCheck } from '../../application/operations/ports';
import { errorMessage } from '../logging';

/** The Prometheus registry as the admin port serves it (GatewayMetrics). */
export interface MetricsExposition {
  contentType(): string;
  exposition(): Promise<string>;
}

export interface AdminAppOptions {
  readonly metrics: MetricsExposition;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly logger: Logger;
  readonly checkTimeoutMs?: number;
}

type CheckOutcome = 'ok' | 'failed' | 'timeout';

/** Each check's readiness now (true when it passed within the timeout): for the readiness gauge. */
export async function readinessSnapshot(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2000,
): Promise<Record<string, boolean>> {
  const outcomes = await runChecks(checks, timeoutMs);
  return Object.fromEntries(outcomes.map(([name, outcome]) => [name, outcome === 'ok'] as const));
}

/** Every check at once, each bounded by `timeoutMs`: the readiness endpoint and the gauge alike. */
function runChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<Array<readonly [string, CheckOutcome]>> {
  return Promise.all(
    checks.map(async ({ name, check }) => [name, await runCheck(check, timeoutMs)] as const),
  );
}

/**
 * The admin port: liveness, readiness and Prometheus metrics, apart from the public intake so that
 * none of it is reachable from VITAS's side and a busy intake cannot starve a probe.
 */
export function createAdminApp(options: AdminAppOptions): Koa {
  const app = new Koa();
  const router = new Router();
  const timeoutMs = options.checkTimeoutMs ?? 2000;

  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'live' };
  });

  router.get('/health/ready', async (ctx) => {
    const outcomes = await runChecks(options.readinessChecks, timeoutMs);
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
      options.logger.error({ err: errorMessage(error) }, 'admin request failed');
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

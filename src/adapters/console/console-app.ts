import Router from '@koa/router';
import Koa from 'koa';
import { errorMessage } from '../logging';
import { loadAssets } from './assets';
import {
  type ConsoleAppDependencies,
  type ConsoleContext,
  consoleRequests,
  SESSION_COOKIE,
} from './console-requests';
import { actionsRoutes } from './pages/actions-routes';
import { entityRoutes } from './pages/entity-routes';
import { failuresRoutes } from './pages/failures-routes';
import { gdprRoutes } from './pages/gdpr-routes';
import { messagesRoutes } from './pages/messages-routes';
import { overviewRoutes } from './pages/overview-routes';
import { signInRoutes } from './pages/sign-in-routes';
import { sameToken } from './sessions';

export { type ConsoleAppDependencies, type ConsoleSignIn, SESSION_COOKIE } from './console-requests';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The console (CONTRACT §6): server-rendered pages for auditors and operators. Every request's
 * role is checked on the server (console-requests.ts holds the gate); every POST carries the
 * session's CSRF token. Each page's routes are in pages/<page>-routes.ts, next to its template;
 * this composes them.
 */
export function createConsoleApp(deps: ConsoleAppDependencies): Koa {
  const app = new Koa();
  const router = new Router();
  const assets = loadAssets();
  const r = consoleRequests(deps);

  // Headers on every answer, pages, assets and errors alike.
  app.use(async (ctx, next) => {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (!ctx.path.startsWith('/assets/')) ctx.set('Cache-Control', 'no-store');
    // Behind a TLS-terminating proxy the connection here is plain HTTP; the browser's is not.
    if (deps.secureCookies) ctx.cookies.secure = true;
    await next();
  });

  app.use(async (ctx: ConsoleContext, next) => {
    try {
      await next();
    } catch (error) {
      // The message only: an error from a use case never carries a payload, and no request body is logged.
      deps.logger.error(
        { err: errorMessage(error), method: ctx.method, path: ctx.path },
        'console request failed',
      );
      r.fail(
        ctx,
        500,
        'Something went wrong',
        'The console could not answer this request. The error is in its log.',
      );
    }
  });

  app.use(async (ctx: ConsoleContext, next) => {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie !== undefined) {
      const [id, signature] = cookie.split('.');
      if (id !== undefined && signature !== undefined && sameToken(r.sign(id), signature)) {
        const session = deps.sessions.get(id);
        if (session !== undefined) ctx.state.session = session;
      }
    }
    await next();
  });

  // Assets: public, so the sign-in page has its style.
  router.get('/assets/:name', (ctx) => {
    const asset = assets.get(ctx.params.name ?? '');
    if (asset === undefined) {
      ctx.status = 404;
      return;
    }
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = asset.type;
    ctx.body = asset.body;
  });

  signInRoutes(router, r);
  overviewRoutes(router, r);
  messagesRoutes(router, r);
  entityRoutes(router, r);
  failuresRoutes(router, r);
  actionsRoutes(router, r);
  gdprRoutes(router, r);

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(async (ctx: ConsoleContext) => {
    if (ctx.status === 404 && ctx.body === undefined) r.fail(ctx, 404, 'Not found', 'There is no page here.');
  });
  return app;
}

import type Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../logging';
import type { ConsoleContext, ConsoleRequests } from '../console-requests';
import { SESSION_COOKIE } from '../console-requests';
import type { PendingSignIn } from '../oidc-sign-in';
import { developmentLoginPage, oidcLoginPage, signedInPage } from './sign-in';
import { formFields } from '../request-body';
import { type ConsoleSession, sameToken } from '../sessions';

const SIGN_IN_COOKIE = 'wsb_console_signin';
const SIGN_IN_SECONDS = 600;

/** Sign-in (development form or OIDC with PKCE) and sign-out. */
export function signInRoutes(router: Router, r: ConsoleRequests): void {
  const { deps } = r;
  const pendingSignIns = new Map<string, { pending: PendingSignIn; expires: number }>();

  router.get('/login', (ctx: ConsoleContext) => {
    if (ctx.state.session?.user !== undefined) {
      ctx.status = 303;
      ctx.redirect('/');
      return;
    }
    const page = r.pageContext(ctx);
    if (deps.signIn.mode === 'development') r.send(ctx, developmentLoginPage(page));
    else
      r.send(
        ctx,
        oidcLoginPage(
          page,
          typeof ctx.query.problem === 'string' ? 'Sign-in did not complete; try again.' : undefined,
        ),
      );
  });

  router.post('/login/dev', async (ctx: ConsoleContext) => {
    if (deps.signIn.mode !== 'development' || deps.production) {
      return r.fail(
        ctx,
        403,
        'Refused',
        'Development sign-in is off: this console signs in through its identity provider.',
      );
    }
    // Login CSRF: a browser posting from another site says so in Origin or Sec-Fetch-Site.
    const origin = ctx.get('origin');
    const site = ctx.get('sec-fetch-site');
    if (
      (origin !== '' && origin !== ctx.origin) ||
      (site !== '' && site !== 'same-origin' && site !== 'none')
    ) {
      return r.fail(ctx, 403, 'Refused', 'Sign-in must come from the console’s own page.');
    }
    const role = (await formFields(ctx)).get('role');
    if (role !== 'auditor' && role !== 'operator') {
      return r.fail(ctx, 400, 'Sign in', 'Choose the role auditor or operator.');
    }
    r.startSession(ctx, { actor: `dev:${role}`, role, name: `dev:${role}` });
    ctx.status = 303;
    ctx.redirect('/');
  });

  router.get('/login/oidc', async (ctx: ConsoleContext) => {
    if (deps.signIn.mode !== 'oidc')
      return r.fail(ctx, 404, 'Not found', 'No identity provider is configured.');
    const { url, pending } = await deps.signIn.oidc.begin();
    const id = randomBytes(24).toString('base64url');
    const at = r.now().getTime();
    for (const [key, value] of pendingSignIns) if (value.expires < at) pendingSignIns.delete(key);
    pendingSignIns.set(id, { pending, expires: at + SIGN_IN_SECONDS * 1000 });
    // Lax, not Strict: it must come back with the provider's redirect, a cross-site navigation.
    ctx.cookies.set(SIGN_IN_COOKIE, id, {
      ...r.cookieOptions(SIGN_IN_SECONDS),
      sameSite: 'lax',
      path: '/login',
    });
    ctx.redirect(url);
  });

  router.get('/login/callback', async (ctx: ConsoleContext) => {
    if (deps.signIn.mode !== 'oidc')
      return r.fail(ctx, 404, 'Not found', 'No identity provider is configured.');
    const id = ctx.cookies.get(SIGN_IN_COOKIE);
    const entry = id === undefined ? undefined : pendingSignIns.get(id);
    if (id !== undefined) pendingSignIns.delete(id);
    ctx.cookies.set(SIGN_IN_COOKIE, '', { ...r.cookieOptions(0), sameSite: 'lax', path: '/login' });
    if (entry === undefined || entry.expires < r.now().getTime()) {
      ctx.status = 303;
      ctx.redirect('/login?problem=expired');
      return;
    }
    let user: ConsoleSession['user'];
    try {
      user = await deps.signIn.oidc.finish(ctx.querystring, entry.pending);
    } catch (error) {
      deps.logger.warn({ err: errorMessage(error) }, 'console sign-in failed');
      ctx.status = 303;
      ctx.redirect('/login?problem=failed');
      return;
    }
    r.startSession(ctx, user);
    deps.logger.info({ actor: user?.actor, role: user?.role ?? 'none' }, 'console sign-in');
    r.send(ctx, signedInPage());
  });

  router.post('/logout', async (ctx: ConsoleContext) => {
    const session = ctx.state.session;
    if (session !== undefined) {
      const fields = await formFields(ctx);
      const token = fields.get('_csrf') ?? ctx.get('x-csrf-token');
      if (!sameToken(session.csrfToken, token === '' ? undefined : token)) {
        return r.fail(ctx, 403, 'Refused', 'The form was missing its CSRF token or it was wrong.');
      }
      deps.sessions.end(session.id);
    }
    ctx.cookies.set(SESSION_COOKIE, '', r.cookieOptions(0));
    ctx.status = 303;
    ctx.redirect('/login');
  });
}

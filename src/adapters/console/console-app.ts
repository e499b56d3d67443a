// Over 330 lines: every route of the console (CONTRACT §6) with its role and CSRF checks in one router;
// splitting it per page is the next step (noted in docs/console.md).
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActOnFailureGroup } from '../../application/operations/act-on-failure-group';
import type { OperatorCommandRejection } from '../../application/operations/operator-command';
import type { ParkOutboxMessage } from '../../application/operations/park-outbox-message';
import type { OutboxExplorer, OutboxSearch, OutboxStatus } from '../../application/operations/ports';
import type { ReplayOutboxMessages } from '../../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../../application/operations/report-outbox-statistics';
import type { RevealPayload } from '../../application/operations/reveal-payload';
import {
  normaliseCprNummer,
  type SearchSubjectAccess,
} from '../../application/operations/search-subject-access';
import { errorMessage } from '../logging';
import { loadAssets } from './assets';
import type { Html } from './html';
import type { OidcSignIn, PendingSignIn } from './oidc-sign-in';
import { type ActionFilters, actionsPage } from './pages/actions';
import { entityPage } from './pages/entity';
import { failureGroupPage, failuresPage } from './pages/failures';
import { gdprPage, type SubjectAccessAnswer } from './pages/gdpr';
import type { PageContext } from './pages/layout';
import { messagePage } from './pages/message';
import { MESSAGE_FILTER_NAMES, type MessageFilters, messagesPage } from './pages/messages';
import { type OverviewData, overviewJson, overviewPage } from './pages/overview';
import { developmentLoginPage, noRolePage, oidcLoginPage, problemPage, signedInPage } from './pages/sign-in';
import { formFields } from './request-body';
import { type ConsoleRole, type ConsoleSession, type SessionStore, sameToken } from './sessions';

export type ConsoleSignIn =
  { readonly mode: 'development' } | { readonly mode: 'oidc'; readonly oidc: OidcSignIn };

export interface ConsoleAppDependencies {
  readonly explorer: OutboxExplorer;
  readonly statistics: ReportOutboxStatistics;
  readonly replay: ReplayOutboxMessages;
  readonly park: ParkOutboxMessage;
  readonly reveal: RevealPayload;
  readonly groupAction: ActOnFailureGroup;
  readonly subjectAccess: SearchSubjectAccess;
  readonly sessions: SessionStore;
  readonly signIn: ConsoleSignIn;
  /** Signs the session cookie (CONSOLE_SESSION_SECRET). */
  readonly sessionSecret: string;
  /** `Secure` cookies: the console is reached over TLS (CONSOLE_PUBLIC_URL is https). */
  readonly secureCookies: boolean;
  /** NODE_ENV=production: development sign-in is refused even if it was somehow configured. */
  readonly production: boolean;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export const SESSION_COOKIE = 'wsb_console';
const SIGN_IN_COOKIE = 'wsb_console_signin';
const SIGN_IN_SECONDS = 600;

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

interface ConsoleState {
  session?: ConsoleSession;
  fields?: URLSearchParams;
}

type ConsoleContext = Context & { state: ConsoleState };

/** Session-held extras: a one-time notice and the last subject-access answer. */
interface SessionExtras {
  flash?: string;
  subjectAccess?: SubjectAccessAnswer;
}

/**
 * The console (CONTRACT §6): server-rendered pages for auditors and operators. Every request's
 * role is checked here, on the server; every POST carries the session's CSRF token.
 */
export function createConsoleApp(deps: ConsoleAppDependencies): Koa {
  const app = new Koa();
  const router = new Router();
  const assets = loadAssets();
  const now = deps.now ?? (() => new Date());
  const pendingSignIns = new Map<string, { pending: PendingSignIn; expires: number }>();
  const extras = new WeakMap<ConsoleSession, SessionExtras>();
  const extrasOf = (session: ConsoleSession) => {
    let value = extras.get(session);
    if (value === undefined) extras.set(session, (value = {}));
    return value;
  };

  const sign = (id: string) => createHmac('sha256', deps.sessionSecret).update(id).digest('base64url');
  const cookieOptions = (maxAgeSeconds?: number) =>
    ({
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.secureCookies,
      path: '/',
      overwrite: true,
      ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds * 1000 }),
    }) as const;

  const pageContext = (ctx: ConsoleContext): PageContext => {
    const session = ctx.state.session;
    const own = session === undefined ? undefined : extrasOf(session);
    const flash = own?.flash;
    if (own !== undefined) own.flash = undefined;
    return {
      user: session?.user,
      csrfToken: session?.csrfToken,
      developmentMode: deps.signIn.mode === 'development',
      flash,
      path: ctx.path,
    };
  };

  const send = (ctx: ConsoleContext, page: Html, status = 200) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page.text;
  };

  const fail = (ctx: ConsoleContext, status: number, title: string, problem: string) =>
    send(ctx, problemPage(pageContext(ctx), title, problem), status);

  const startSession = (ctx: ConsoleContext, user: ConsoleSession['user']) => {
    const previous = ctx.state.session;
    if (previous !== undefined) deps.sessions.end(previous.id);
    const session = deps.sessions.create();
    session.user = user;
    ctx.cookies.set(SESSION_COOKIE, `${session.id}.${sign(session.id)}`, cookieOptions());
    ctx.state.session = session;
    return session;
  };

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
      fail(
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
      if (id !== undefined && signature !== undefined && sameToken(sign(id), signature)) {
        const session = deps.sessions.get(id);
        if (session !== undefined) ctx.state.session = session;
      }
    }
    await next();
  });

  /**
   * The gate of every page and action: signed in (else to /login), a console role (else told
   * why), the CSRF token on a POST, and the role the route needs.
   */
  const allow =
    (role: ConsoleRole) =>
    async (ctx: ConsoleContext, next: Next): Promise<void> => {
      const session = ctx.state.session;
      if (session?.user === undefined) {
        ctx.status = 303;
        ctx.redirect('/login');
        return;
      }
      if (ctx.method === 'POST') {
        ctx.state.fields = await formFields(ctx);
        const token = ctx.state.fields.get('_csrf') ?? ctx.get('x-csrf-token');
        if (!sameToken(session.csrfToken, token === '' ? undefined : token)) {
          fail(
            ctx,
            403,
            'Refused',
            'The form was missing its CSRF token or it was wrong. Nothing was changed; reload the page and try again.',
          );
          return;
        }
      }
      if (session.user.role === undefined) {
        const roleClaim = deps.signIn.mode === 'oidc' ? deps.signIn.oidc.settings.roleClaim : 'roles';
        send(ctx, noRolePage(pageContext(ctx), roleClaim), 403);
        return;
      }
      if (role === 'operator' && session.user.role !== 'operator') {
        fail(ctx, 403, 'Refused', 'Only an operator may do this. You are signed in as an auditor.');
        return;
      }
      await next();
    };
  const auditor = allow('auditor');
  const operator = allow('operator');

  const backTo = (ctx: ConsoleContext, path: string, flash: string) => {
    const session = ctx.state.session;
    if (session !== undefined) extrasOf(session).flash = flash;
    ctx.status = 303;
    ctx.redirect(path);
  };

  const reasonOf = (ctx: ConsoleContext) => (ctx.state.fields?.get('reason') ?? '').trim();
  const actorOf = (ctx: ConsoleContext) => ctx.state.session?.user?.actor ?? '';

  const rejected = (ctx: ConsoleContext, rejection: OperatorCommandRejection) => {
    switch (rejection._tag) {
      case 'MissingReason':
        return fail(ctx, 400, 'Reason required', 'Give a reason: it is recorded in the action log.');
      case 'MissingActor':
        return fail(ctx, 400, 'Not signed in', 'The sign-in carries no identity to record.');
      case 'NotFound':
        return fail(ctx, 404, 'Not found', `No message ${rejection.messageId}.`);
      case 'WrongStatus':
        return fail(
          ctx,
          409,
          'Not possible now',
          `Message ${rejection.messageId} is ${rejection.status}; this action needs ${rejection.allowed}.`,
        );
    }
  };

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

  // Sign-in and sign-out.
  router.get('/login', (ctx: ConsoleContext) => {
    if (ctx.state.session?.user !== undefined) {
      ctx.status = 303;
      ctx.redirect('/');
      return;
    }
    const page = pageContext(ctx);
    if (deps.signIn.mode === 'development') send(ctx, developmentLoginPage(page));
    else
      send(
        ctx,
        oidcLoginPage(
          page,
          typeof ctx.query.problem === 'string' ? 'Sign-in did not complete; try again.' : undefined,
        ),
      );
  });

  router.post('/login/dev', async (ctx: ConsoleContext) => {
    if (deps.signIn.mode !== 'development' || deps.production) {
      return fail(
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
      return fail(ctx, 403, 'Refused', 'Sign-in must come from the console’s own page.');
    }
    const role = (await formFields(ctx)).get('role');
    if (role !== 'auditor' && role !== 'operator') {
      return fail(ctx, 400, 'Sign in', 'Choose the role auditor or operator.');
    }
    startSession(ctx, { actor: `dev:${role}`, role, name: `dev:${role}` });
    ctx.status = 303;
    ctx.redirect('/');
  });

  router.get('/login/oidc', async (ctx: ConsoleContext) => {
    if (deps.signIn.mode !== 'oidc')
      return fail(ctx, 404, 'Not found', 'No identity provider is configured.');
    const { url, pending } = await deps.signIn.oidc.begin();
    const id = randomBytes(24).toString('base64url');
    const at = now().getTime();
    for (const [key, value] of pendingSignIns) if (value.expires < at) pendingSignIns.delete(key);
    pendingSignIns.set(id, { pending, expires: at + SIGN_IN_SECONDS * 1000 });
    // Lax, not Strict: it must come back with the provider's redirect, a cross-site navigation.
    ctx.cookies.set(SIGN_IN_COOKIE, id, {
      ...cookieOptions(SIGN_IN_SECONDS),
      sameSite: 'lax',
      path: '/login',
    });
    ctx.redirect(url);
  });

  router.get('/login/callback', async (ctx: ConsoleContext) => {
    if (deps.signIn.mode !== 'oidc')
      return fail(ctx, 404, 'Not found', 'No identity provider is configured.');
    const id = ctx.cookies.get(SIGN_IN_COOKIE);
    const entry = id === undefined ? undefined : pendingSignIns.get(id);
    if (id !== undefined) pendingSignIns.delete(id);
    ctx.cookies.set(SIGN_IN_COOKIE, '', { ...cookieOptions(0), sameSite: 'lax', path: '/login' });
    if (entry === undefined || entry.expires < now().getTime()) {
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
    startSession(ctx, user);
    deps.logger.info({ actor: user?.actor, role: user?.role ?? 'none' }, 'console sign-in');
    send(ctx, signedInPage());
  });

  router.post('/logout', async (ctx: ConsoleContext) => {
    const session = ctx.state.session;
    if (session !== undefined) {
      const fields = await formFields(ctx);
      const token = fields.get('_csrf') ?? ctx.get('x-csrf-token');
      if (!sameToken(session.csrfToken, token === '' ? undefined : token)) {
        return fail(ctx, 403, 'Refused', 'The form was missing its CSRF token or it was wrong.');
      }
      deps.sessions.end(session.id);
    }
    ctx.cookies.set(SESSION_COOKIE, '', cookieOptions(0));
    ctx.status = 303;
    ctx.redirect('/login');
  });

  // Overview.
  const overviewData = async (): Promise<OverviewData> => {
    const since = new Date(now().getTime() - 3 * 3600 * 1000);
    const [statistics, minutes, processes] = await Promise.all([
      deps.statistics.execute(),
      deps.explorer.deliveriesPerMinute(since),
      deps.explorer.connectedProcesses(),
    ]);
    return { statistics, minutes, processes };
  };
  router.get('/', auditor, async (ctx: ConsoleContext) => {
    send(ctx, overviewPage(pageContext(ctx), await overviewData()));
  });
  router.get('/overview.json', auditor, async (ctx: ConsoleContext) => {
    ctx.body = overviewJson(await overviewData());
  });

  // Messages.
  router.get('/messages', auditor, async (ctx: ConsoleContext) => {
    const text = (name: string) => {
      const value = ctx.query[name];
      return typeof value === 'string' ? value.trim() : '';
    };
    const filters = Object.fromEntries(
      MESSAGE_FILTER_NAMES.map((name) => [name, text(name)]),
    ) as unknown as Record<keyof MessageFilters, string>;
    // The list without filters is what is not delivered yet; a search (a bookmarked requestId, say)
    // looks at the whole history unless it names a status.
    if (filters.status === '') {
      const searching = MESSAGE_FILTER_NAMES.some((name) => name !== 'status' && filters[name] !== '');
      filters.status = searching ? 'any' : 'undelivered';
    }
    const search = messageSearch(filters, text('after'));
    if ('problem' in search) return send(ctx, messagesPage(pageContext(ctx), filters, search), 400);
    send(ctx, messagesPage(pageContext(ctx), filters, await deps.explorer.search(search)));
  });

  router.get('/messages/:id', auditor, async (ctx: ConsoleContext) => {
    const id = (ctx.params.id ?? '').toLowerCase();
    const details = await deps.explorer.detail(id);
    const detail = details.find((d) => d.entry.messageId === id);
    if (detail === undefined) {
      const only = details.length === 1 ? details[0] : undefined;
      if (only !== undefined) {
        ctx.redirect(`/messages/${only.entry.messageId}`);
        return;
      }
      if (details.length > 1) {
        ctx.redirect(`/messages?requestId=${encodeURIComponent(ctx.params.id ?? '')}&status=any`);
        return;
      }
      return fail(ctx, 404, 'Not found', 'No message or request has this id.');
    }
    const actions = await deps.explorer.actions({ messageId: id, limit: 100 });
    const revealed = ctx.state.session?.revealed.get(id);
    send(ctx, messagePage(pageContext(ctx), detail, actions.items, revealed));
  });

  router.post('/messages/:id/replay', operator, async (ctx: ConsoleContext) => {
    const id = ctx.params.id ?? '';
    const result = await deps.replay.execute({
      target: { messageId: id },
      actor: actorOf(ctx),
      reason: reasonOf(ctx),
      dryRun: false,
    });
    if (result._tag !== 'Replayed') return rejected(ctx, result);
    backTo(ctx, `/messages/${id}`, 'Replayed: the message is due now.');
  });

  router.post('/messages/:id/park', operator, async (ctx: ConsoleContext) => {
    const id = ctx.params.id ?? '';
    const result = await deps.park.execute({
      messageId: id,
      actor: actorOf(ctx),
      reason: reasonOf(ctx),
      dryRun: false,
    });
    if (result._tag !== 'Parked') return rejected(ctx, result);
    backTo(ctx, `/messages/${id}`, 'Parked: the relay leaves it until it is replayed.');
  });

  router.post('/messages/:id/reveal', operator, async (ctx: ConsoleContext) => {
    const id = ctx.params.id ?? '';
    const result = await deps.reveal.execute({ messageId: id, actor: actorOf(ctx), reason: reasonOf(ctx) });
    if (result._tag !== 'Revealed') return rejected(ctx, result);
    ctx.state.session?.revealed.set(
      result.messageId,
      result.payload === null ? '(redacted: no payload is kept)' : JSON.stringify(result.payload, null, 2),
    );
    backTo(
      ctx,
      `/messages/${result.messageId}#payload`,
      'Payload revealed; the reveal is in the action log.',
    );
  });

  // Entities.
  router.get('/entities/:eksternIdentifier', auditor, async (ctx: ConsoleContext) => {
    const eksternIdentifier = ctx.params.eksternIdentifier ?? '';
    const after =
      typeof ctx.query.after === 'string' && /^\d+$/.test(ctx.query.after) ? ctx.query.after : undefined;
    const result = await deps.explorer.entity(eksternIdentifier, after, 100);
    send(ctx, entityPage(pageContext(ctx), eksternIdentifier, result));
  });

  // Failures.
  router.get('/failures', auditor, async (ctx: ConsoleContext) => {
    send(ctx, failuresPage(pageContext(ctx), await deps.explorer.failureGroups()));
  });

  router.get('/failures/:fingerprint', auditor, async (ctx: ConsoleContext) => {
    const fingerprint = ctx.params.fingerprint ?? '';
    if (!/^[0-9a-f]+$/.test(fingerprint)) return fail(ctx, 404, 'Not found', 'No such failure group.');
    const [groups, members] = await Promise.all([
      deps.explorer.failureGroups(),
      deps.explorer.failureGroupMembers(fingerprint),
    ]);
    const group = groups.find((g) => g.fingerprint === fingerprint);
    send(ctx, failureGroupPage(pageContext(ctx), fingerprint, group, members));
  });

  for (const action of ['replay', 'park'] as const) {
    router.post(`/failures/:fingerprint/${action}`, operator, async (ctx: ConsoleContext) => {
      const fingerprint = ctx.params.fingerprint ?? '';
      const expectedText = ctx.state.fields?.get('expected') ?? '';
      if (!/^\d+$/.test(expectedText)) {
        return fail(
          ctx,
          400,
          'Count required',
          'The form must say how many messages the preview showed (expected).',
        );
      }
      const result = await deps.groupAction.execute({
        action,
        fingerprint,
        expected: Number(expectedText),
        actor: actorOf(ctx),
        reason: reasonOf(ctx),
      });
      if (result._tag === 'GroupChanged') {
        return fail(
          ctx,
          409,
          'The group changed',
          `The preview showed ${result.expected} message(s), the group now has ${result.actual}. Nothing was changed; look at the group again.`,
        );
      }
      if (result._tag !== 'Done') return rejected(ctx, result);
      const verb = action === 'replay' ? 'Replayed' : 'Parked';
      backTo(ctx, '/failures', `${verb} ${result.messageIds.length} message(s) of group ${fingerprint}.`);
    });
  }

  // The action log.
  router.get('/actions', auditor, async (ctx: ConsoleContext) => {
    const text = (name: string) =>
      typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim() : '';
    const filters: ActionFilters = {
      actor: text('actor'),
      action: text('action'),
      messageId: text('messageId'),
      since: text('since'),
    };
    const kinds = ['replay', 'park', 'redact', 'reveal', 'subject-access'] as const;
    const action = kinds.find((k) => k === filters.action);
    const since = filters.since === '' ? undefined : parseTime(filters.since);
    const after = text('after');
    if (filters.action !== '' && action === undefined) {
      return send(
        ctx,
        actionsPage(pageContext(ctx), filters, { problem: `Unknown action "${filters.action}".` }),
        400,
      );
    }
    if (since === null) {
      return send(
        ctx,
        actionsPage(pageContext(ctx), filters, { problem: 'Since is not a date and time.' }),
        400,
      );
    }
    const result = await deps.explorer.actions({
      limit: 50,
      ...(filters.actor === '' ? {} : { actor: filters.actor }),
      ...(action === undefined ? {} : { action }),
      ...(filters.messageId === '' ? {} : { messageId: filters.messageId.toLowerCase() }),
      ...(since === undefined ? {} : { since }),
      ...(/^\d+$/.test(after) ? { after } : {}),
    });
    send(ctx, actionsPage(pageContext(ctx), filters, result));
  });

  // GDPR.
  router.get('/gdpr', auditor, async (ctx: ConsoleContext) => {
    const after =
      typeof ctx.query.after === 'string' && /^\d+$/.test(ctx.query.after) ? ctx.query.after : undefined;
    const notices = await deps.explorer.erasureNotices(after, 50);
    const session = ctx.state.session;
    const own = session === undefined ? undefined : extrasOf(session);
    const answer = own?.subjectAccess;
    if (own !== undefined) own.subjectAccess = undefined;
    send(ctx, gdprPage(pageContext(ctx), notices, answer));
  });

  router.post('/gdpr/subject-access', auditor, async (ctx: ConsoleContext) => {
    const cpr = ctx.state.fields?.get('cpr') ?? '';
    const result = await deps.subjectAccess.execute({
      cprNummer: cpr,
      actor: actorOf(ctx),
      reason: reasonOf(ctx),
    });
    if (result._tag === 'InvalidCpr') {
      return fail(
        ctx,
        400,
        'Not a CPR number',
        'A CPR number is ten digits, with or without a dash after the sixth.',
      );
    }
    if (result._tag !== 'Found') return rejected(ctx, result);
    const normalised = normaliseCprNummer(cpr) ?? '';
    const session = ctx.state.session;
    if (session !== undefined) {
      extrasOf(session).subjectAccess = {
        maskedCpr: `${normalised.slice(0, 6)}-****`,
        entries: result.entries,
      };
    }
    backTo(
      ctx,
      '/gdpr#h-sa-result',
      `The search found ${result.entries.length} message(s); it is in the action log.`,
    );
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(async (ctx: ConsoleContext) => {
    if (ctx.status === 404 && ctx.body === undefined) fail(ctx, 404, 'Not found', 'There is no page here.');
  });
  return app;
}

/** A date (`2026-12-01`) or date and time (`2026-12-01T10:00`, the form's UTC) ; null if neither. */
function parseTime(value: string): Date | null {
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value)
    ? value
    : `${value}${value.includes('T') ? '' : 'T00:00'}Z`;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? null : date;
}

function messageSearch(filters: MessageFilters, after: string): OutboxSearch | { readonly problem: string } {
  const statuses: readonly string[] = ['undelivered', 'pending', 'parked', 'delivered', 'any'];
  if (!statuses.includes(filters.status)) return { problem: `Unknown status "${filters.status}".` };
  if (
    filters.type !== '' &&
    filters.type !== 'Ordningsnotifikation' &&
    filters.type !== 'GdprSlettetNotifikation'
  ) {
    return { problem: `Unknown type "${filters.type}".` };
  }
  const from = filters.from === '' ? undefined : parseTime(filters.from);
  const to = filters.to === '' ? undefined : parseTime(filters.to);
  if (from === null || to === null) return { problem: 'From and to must be dates (and times, UTC).' };
  if (after !== '' && !/^\d+$/.test(after)) return { problem: 'That page link is not valid.' };
  return {
    limit: 50,
    ...(filters.requestId === '' ? {} : { requestId: filters.requestId }),
    ...(filters.messageId === '' ? {} : { messageId: filters.messageId.toLowerCase() }),
    ...(filters.eksternIdentifier === ''
      ? {}
      : { eksternIdentifier: filters.eksternIdentifier.toLowerCase() }),
    ...(filters.jobcenterKode === '' ? {} : { jobCenterKode: filters.jobcenterKode }),
    ...(filters.type === ''
      ? {}
      : { kind: filters.type as 'Ordningsnotifikation' | 'GdprSlettetNotifikation' }),
    ...(filters.status === 'any' ? {} : { status: filters.status as OutboxStatus | 'undelivered' }),
    ...(from === undefined ? {} : { receivedFrom: from }),
    ...(to === undefined ? {} : { receivedTo: to }),
    ...(after === '' ? {} : { after }),
  };
}

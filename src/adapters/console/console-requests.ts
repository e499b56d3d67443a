import type { Context, Next } from 'koa';
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActOnFailureGroup } from '../../application/operations/act-on-failure-group';
import type { OperatorCommandRejection } from '../../application/operations/operator-command';
import type { ParkOutboxMessage } from '../../application/operations/park-outbox-message';
import type { OutboxExplorer } from '../../application/operations/ports';
import type { ReplayOutboxMessages } from '../../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../../application/operations/report-outbox-statistics';
import type { RevealPayload } from '../../application/operations/reveal-payload';
import type { SearchSubjectAccess } from '../../application/operations/search-subject-access';
import type { Html } from './html';
import type { OidcSignIn } from './oidc-sign-in';
import type { SubjectAccessAnswer } from './pages/gdpr';
import type { PageContext } from './pages/layout';
import { noRolePage, problemPage } from './pages/sign-in';
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

interface ConsoleState {
  session?: ConsoleSession;
  fields?: URLSearchParams;
}

export type ConsoleContext = Context & { state: ConsoleState };

/** Session-held extras: a one-time notice and the last subject-access answer. */
interface SessionExtras {
  flash?: string;
  subjectAccess?: SubjectAccessAnswer;
}

type Middleware = (ctx: ConsoleContext, next: Next) => Promise<void>;

/** What every route of the console answers with, and the gate each passes first. */
export interface ConsoleRequests {
  readonly deps: ConsoleAppDependencies;
  readonly now: () => Date;
  /** Signed in with any console role; on a POST, the CSRF token too. */
  readonly auditor: Middleware;
  /** As `auditor`, and the role operator. */
  readonly operator: Middleware;
  sign(id: string): string;
  cookieOptions(maxAgeSeconds?: number): {
    httpOnly: true;
    sameSite: 'strict';
    secure: boolean;
    path: '/';
    overwrite: true;
    maxAge?: number;
  };
  extrasOf(session: ConsoleSession): SessionExtras;
  pageContext(ctx: ConsoleContext): PageContext;
  send(ctx: ConsoleContext, page: Html, status?: number): void;
  fail(ctx: ConsoleContext, status: number, title: string, problem: string): void;
  startSession(ctx: ConsoleContext, user: ConsoleSession['user']): ConsoleSession;
  /** A redirect after a POST, with a one-time notice for the next page. */
  backTo(ctx: ConsoleContext, path: string, flash: string): void;
  reasonOf(ctx: ConsoleContext): string;
  actorOf(ctx: ConsoleContext): string;
  rejected(ctx: ConsoleContext, rejection: OperatorCommandRejection): void;
}

export function consoleRequests(deps: ConsoleAppDependencies): ConsoleRequests {
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

  /**
   * The gate of every page and action: signed in (else to /login), a console role (else told
   * why), the CSRF token on a POST, and the role the route needs.
   */
  const allow =
    (role: ConsoleRole): Middleware =>
    async (ctx, next) => {
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

  const backTo = (ctx: ConsoleContext, path: string, flash: string) => {
    const session = ctx.state.session;
    if (session !== undefined) extrasOf(session).flash = flash;
    ctx.status = 303;
    ctx.redirect(path);
  };

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

  return {
    deps,
    now: deps.now ?? (() => new Date()),
    auditor: allow('auditor'),
    operator: allow('operator'),
    sign,
    cookieOptions,
    extrasOf,
    pageContext,
    send,
    fail,
    startSession,
    backTo,
    reasonOf: (ctx) => (ctx.state.fields?.get('reason') ?? '').trim(),
    actorOf: (ctx) => ctx.state.session?.user?.actor ?? '',
    rejected,
  };
}

/** A query parameter as text, trimmed; '' when absent or repeated. */
export function queryText(ctx: ConsoleContext, name: string): string {
  const value = ctx.query[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A date (`2026-12-01`) or date and time (`2026-12-01T10:00`, the form's UTC) ; null if neither. */
export function parseTime(value: string): Date | null {
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value)
    ? value
    : `${value}${value.includes('T') ? '' : 'T00:00'}Z`;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? null : date;
}

import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from 'pino';
import type { AcceptNotification } from '../../application/intake/accept-notification';
import { StorageUnavailableError } from '../../application/intake/ports';
import type { MessageKind } from '../../domain/notification';
import { isRequestId, parseRequestId } from '../../domain/request-id';
import { type Authenticator, type Principal, WRITE_SCOPE } from '../../application/intake/authentication';
import type { TraceContext } from '../../domain/trace-context';
import type { RequestTracing } from '../../application/intake/request-tracing';
import { propagateTraceContext } from './request-tracing';
import { createDocumentationRouter } from './documentation-router';
import { summarise } from '../logging';
import { type BodyRefusal, readJsonBody } from './json-body';
import { type Problem, problems, sendProblem } from './problem';

export interface IntakeAppOptions {
  readonly acceptNotification: AcceptNotification;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly retryAfterSeconds: number;
  /** Called once per finished request, for metrics. */
  readonly onRequestFinished?: (route: string, status: number, durationSeconds: number) => void;
  /** Spans per request when OpenTelemetry export is on; by default only the traceparent is carried on. */
  readonly tracing?: RequestTracing;
}

export const ROUTES: ReadonlyArray<{ path: string; kind: MessageKind }> = [
  { path: '/v1/Webservicebesked/SendOrdningsnotifikation', kind: 'Ordningsnotifikation' },
  { path: '/v1/Webservicebesked/SendGdprSlettetNotifikation', kind: 'GdprSlettetNotifikation' },
];

interface IntakeState {
  principal?: Principal;
  /** Why authentication failed, for the log; never the token. */
  authFailure?: string;
  requestId?: string;
  route?: string;
  /** The parsed JSON body, not yet validated. */
  body?: unknown;
  traceContext?: TraceContext;
}

function refusalProblem(refusal: BodyRefusal, limitBytes: number): Problem {
  switch (refusal) {
    case 'too-large':
      return problems.tooLarge(limitBytes);
    case 'unsupported-encoding':
      return problems.unsupportedMediaType('Content-Encoding must be identity, gzip, deflate or br.');
    case 'unsupported-charset':
      return problems.unsupportedMediaType('The body must be UTF-8: charset, if given, must be utf-8.');
    case 'corrupt-encoding':
      return problems.unreadableBody(
        'does not decompress as its Content-Encoding says (corrupt or truncated)',
      );
    case 'invalid-utf8':
      return problems.unreadableBody('is not valid UTF-8');
    case 'incomplete':
      return problems.unreadableBody('ended before it was complete');
    case 'malformed-json':
      return problems.malformedJson();
    default: {
      const unexpected: never = refusal;
      throw new Error(`unhandled body refusal ${String(unexpected)}`);
    }
  }
}

/**
 * The public HTTP intake. Checks run in CONTRACT.md's order: authentication and authorisation,
 * x-requestId, media type, JSON, body, duplicate.
 */
export function createIntakeApp(options: IntakeAppOptions): Koa<IntakeState> {
  const app = new Koa<IntakeState>();
  app.proxy = false;
  app.use(accessLog(options));
  app.use(errorBoundary(options));
  app.use(refuseTransferCodings());

  const router = new Router<IntakeState>();
  for (const { path, kind } of ROUTES) {
    router.post(
      path,
      async (ctx, next) => {
        ctx.state.route = path;
        await next();
      },
      authenticate(options.authenticator),
      requireRequestId(),
      requireJsonMediaType(),
      async (ctx, next) => {
        const declared = Number(ctx.get('content-length') || '0');
        if (declared > options.bodyLimitBytes) {
          sendProblem(ctx, problems.tooLarge(options.bodyLimitBytes), ctx.state.requestId);
          return;
        }
        const body = await readJsonBody(ctx.req, options.bodyLimitBytes);
        if (!body.ok) {
          sendProblem(ctx, refusalProblem(body.refusal, options.bodyLimitBytes), ctx.state.requestId);
          return;
        }
        ctx.state.body = body.value;
        await next();
      },
      async (ctx) => {
        const { principal, requestId } = ctx.state;
        const parsedRequestId = parseRequestId(requestId);
        if (principal === undefined || !isRequestId(parsedRequestId)) {
          throw new Error('intake pipeline reached the use case without principal or requestId');
        }
        const result = await options.acceptNotification.execute({
          kind,
          requestId: parsedRequestId,
          body: ctx.state.body,
          clientId: principal.clientId,
          clientCertSubject: clientCertificateSubject(ctx),
          traceContext: ctx.state.traceContext,
        });
        switch (result._tag) {
          case 'Accepted':
            ctx.status = 200;
            ctx.body = '';
            return;
          case 'InvalidNotification':
            sendProblem(ctx, problems.invalid(result.violations), requestId);
            return;
          case 'DuplicateRequestId':
            sendProblem(ctx, problems.duplicate(), requestId);
            return;
          default: {
            const unexpected: never = result;
            throw new Error(`unhandled result ${JSON.stringify(unexpected)}`);
          }
        }
      },
    );
  }
  app.use(createDocumentationRouter().routes());
  app.use(router.routes());
  app.use(async (ctx: Context, next: Next) => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    const route = ROUTES.find((r) => r.path.toLowerCase() === ctx.path.toLowerCase());
    if (route !== undefined) {
      ctx.set('Allow', 'POST');
      sendProblem(ctx, problems.methodNotAllowed('POST'));
    } else {
      sendProblem(ctx, problems.notFound());
    }
  });
  return app;
}

function authenticate(authenticator: Authenticator) {
  return async (ctx: Koa.ParameterizedContext<IntakeState>, next: Next): Promise<void> => {
    const result = await authenticator.authenticate(ctx.get('authorization') || undefined);
    const echoedRequestId = echoableRequestId(ctx);
    switch (result._tag) {
      case 'Authenticated':
        ctx.state.principal = result.principal;
        await next();
        return;
      case 'Unauthenticated':
        ctx.set('WWW-Authenticate', ctx.get('authorization') ? 'Bearer error="invalid_token"' : 'Bearer');
        ctx.state.authFailure = result.reason;
        sendProblem(ctx, problems.unauthenticated(), echoedRequestId);
        return;
      case 'Forbidden':
        ctx.state.principal = result.principal;
        ctx.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${WRITE_SCOPE}"`);
        sendProblem(ctx, problems.forbidden(WRITE_SCOPE), echoedRequestId);
        return;
      default: {
        const unexpected: never = result;
        throw new Error(`unhandled authentication result ${JSON.stringify(unexpected)}`);
      }
    }
  };
}

/**
 * Node's parser frames a body whose last transfer coding is `chunked` and hands the rest on
 * undecoded: `Transfer-Encoding: gzip, chunked` would reach the JSON reader still compressed, as
 * if it were identity. The gateway implements no transfer coding but chunked, so, as RFC 9112
 * §6.1 says, any other is 501, before anything else is looked at. (A list the parser cannot frame,
 * such as `gzip` alone, never gets here: it is the parser's 400.)
 */
function refuseTransferCodings() {
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.req.headers['transfer-encoding'];
    if (header !== undefined) {
      const codings = header.split(',').map((coding) => coding.trim().toLowerCase());
      if (codings.length !== 1 || codings[0] !== 'chunked') {
        ctx.set('Connection', 'close');
        sendProblem(ctx, problems.unsupportedTransferCoding());
        return;
      }
    }
    await next();
  };
}

function requireRequestId() {
  return async (ctx: Koa.ParameterizedContext<IntakeState>, next: Next): Promise<void> => {
    const header = ctx.req.headers['x-requestid'];
    const parsed = parseRequestId(Array.isArray(header) ? header.join(', ') : header);
    if (!isRequestId(parsed)) {
      sendProblem(ctx, problems.invalid([parsed]), echoableRequestId(ctx));
      return;
    }
    ctx.state.requestId = parsed;
    await next();
  };
}

function requireJsonMediaType() {
  return async (ctx: Koa.ParameterizedContext<IntakeState>, next: Next): Promise<void> => {
    if (!ctx.request.is('application/json', 'application/*+json')) {
      sendProblem(ctx, problems.unsupportedMediaType(), ctx.state.requestId);
      return;
    }
    await next();
  };
}

/** The x-requestId to echo in an error: only a well-formed one, so no header is reflected unchecked. */
function echoableRequestId(ctx: Context): string | undefined {
  const value = ctx.get('x-requestid');
  return isRequestId(parseRequestId(value)) ? value : undefined;
}

function clientCertificateSubject(ctx: Context): string | undefined {
  const socket = ctx.req.socket as {
    getPeerCertificate?: () => { subject?: Record<string, string> } | null;
    authorized?: boolean;
  };
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const subject = socket.getPeerCertificate()?.subject;
  if (subject === undefined || subject === null) return undefined;
  return Object.entries(subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function errorBoundary(options: IntakeAppOptions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      const requestId = echoableRequestId(ctx);
      if (error instanceof StorageUnavailableError) {
        ctx.set('Retry-After', String(options.retryAfterSeconds));
        sendProblem(ctx, problems.unavailable(), requestId);
        options.logger.warn({ requestId, err: summarise(error) }, 'database unavailable, answered 503');
        return;
      }
      sendProblem(ctx, problems.internal(), requestId);
      options.logger.error({ requestId, err: summarise(error) }, 'request failed');
    }
  };
}

function accessLog(options: IntakeAppOptions) {
  return async (ctx: Koa.ParameterizedContext<IntakeState>, next: Next): Promise<void> => {
    const started = process.hrtime.bigint();
    const span = (options.tracing ?? propagateTraceContext).startRequest(
      ctx.req.headers.traceparent as string | undefined,
      ctx.req.headers.tracestate as string | undefined,
    );
    ctx.state.traceContext = span.context;
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = ctx.state.route ?? 'unmatched';
      options.onRequestFinished?.(route, ctx.status, seconds);
      span.end(route, ctx.status);
      options.logger.info(
        {
          method: ctx.method,
          route,
          status: ctx.status,
          durationMs: Math.round(seconds * 1e4) / 10,
          requestId: echoableRequestId(ctx),
          clientId: ctx.state.principal?.clientId,
          ...(ctx.state.authFailure !== undefined ? { authFailure: ctx.state.authFailure } : {}),
        },
        'request',
      );
    }
  };
}

import type { Context } from 'koa';
import { FEJL, type Violation } from '../../domain/errors';

/** An RFC 9457 problem document, with STAR's fejlkode/fejltekst where one exists. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly fejlkode?: number;
  readonly fejltekst?: string;
  readonly requestId?: string;
  readonly errors?: readonly Violation[];
}

const TYPE_PREFIX = 'urn:wsb-gateway:problem:';

export const problems = {
  invalid: (violations: readonly Violation[]): Problem => ({
    type: `${TYPE_PREFIX}invalid-message`,
    title: 'Bad Request',
    status: 400,
    detail: `The request has ${violations.length} problem${violations.length === 1 ? '' : 's'}; see errors.`,
    ...FEJL.invalidMessage,
    errors: violations,
  }),
  malformedJson: (): Problem => ({
    type: `${TYPE_PREFIX}malformed-json`,
    title: 'Bad Request',
    status: 400,
    detail: 'The body is not well-formed JSON.',
    ...FEJL.invalidMessage,
    errors: [{ path: '(body)', fejlkode: 1014, message: 'must be a well-formed JSON object' }],
  }),
  /** The body's bytes could not be read as sent (corrupt compression, not UTF-8, cut short). */
  unreadableBody: (reason: string): Problem => ({
    type: `${TYPE_PREFIX}unreadable-body`,
    title: 'Bad Request',
    status: 400,
    detail: `The body ${reason}.`,
    ...FEJL.invalidMessage,
    errors: [{ path: '(body)', fejlkode: 1014, message: reason }],
  }),
  /** What Node's HTTP parser refused before the request reached the intake (public-server.ts). */
  unparseableRequest: (status: number, title: string): Problem => ({
    type: `${TYPE_PREFIX}unparseable-request`,
    title,
    status,
    detail:
      status === 431
        ? 'The request headers are larger than the server accepts.'
        : status === 408
          ? 'The request took too long to arrive.'
          : 'The request is not well-formed HTTP.',
    ...FEJL.invalidMessage,
  }),
  /** RFC 9112 §6.1: a transfer coding the server does not implement is answered 501. */
  unsupportedTransferCoding: (): Problem => ({
    type: `${TYPE_PREFIX}unsupported-transfer-coding`,
    title: 'Not Implemented',
    status: 501,
    detail: 'Transfer-Encoding must be chunked alone; send Content-Encoding to compress the body.',
  }),
  unauthenticated: (): Problem => ({
    type: `${TYPE_PREFIX}logon-failed`,
    title: 'Unauthorized',
    status: 401,
    detail: 'A valid bearer token is required.',
    ...FEJL.logonFailed,
  }),
  forbidden: (scope: string): Problem => ({
    type: `${TYPE_PREFIX}not-authorized`,
    title: 'Forbidden',
    status: 403,
    detail: `The token lacks the scope ${scope}.`,
    ...FEJL.notAuthorized,
  }),
  duplicate: (): Problem => ({
    type: `${TYPE_PREFIX}duplicate-request-id`,
    title: 'Precondition Failed',
    status: 412,
    detail: 'This x-requestId has been used before; nothing was written.',
  }),
  tooLarge: (limit: number): Problem => ({
    type: `${TYPE_PREFIX}payload-too-large`,
    title: 'Payload Too Large',
    status: 413,
    detail: `The body is larger than ${limit} bytes.`,
  }),
  unsupportedMediaType: (
    detail = 'The body must be application/json (UTF-8), identity, gzip, deflate or br encoded.',
  ): Problem => ({
    type: `${TYPE_PREFIX}unsupported-media-type`,
    title: 'Unsupported Media Type',
    status: 415,
    detail,
  }),
  notFound: (): Problem => ({
    type: `${TYPE_PREFIX}not-found`,
    title: 'Not Found',
    status: 404,
    detail: 'No such resource.',
  }),
  methodNotAllowed: (allowed: string): Problem => ({
    type: `${TYPE_PREFIX}method-not-allowed`,
    title: 'Method Not Allowed',
    status: 405,
    detail: `Use ${allowed}.`,
  }),
  unavailable: (): Problem => ({
    type: `${TYPE_PREFIX}service-unavailable`,
    title: 'Service Unavailable',
    status: 503,
    detail: 'The outbox database is unreachable; nothing was accepted. Retry later.',
  }),
  internal: (): Problem => ({
    type: `${TYPE_PREFIX}internal-error`,
    title: 'Internal Server Error',
    status: 500,
    detail: 'The request could not be processed; nothing was accepted.',
  }),
};

export function sendProblem(ctx: Context, problem: Problem, requestId?: string): void {
  ctx.status = problem.status;
  ctx.type = 'application/problem+json';
  ctx.body = requestId === undefined ? problem : { ...problem, requestId };
}

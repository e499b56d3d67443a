import type Router from '@koa/router';
import { normaliseCprNummer } from '../../../application/operations/search-subject-access';
import type { ConsoleContext, ConsoleRequests } from '../console-requests';
import { gdprPage } from './gdpr';

/** Erasure notices and their progress, and the subject-access search. */
export function gdprRoutes(router: Router, r: ConsoleRequests): void {
  const { deps } = r;

  router.get('/gdpr', r.auditor, async (ctx: ConsoleContext) => {
    const after =
      typeof ctx.query.after === 'string' && /^\d+$/.test(ctx.query.after) ? ctx.query.after : undefined;
    const notices = await deps.explorer.erasureNotices(after, 50);
    const session = ctx.state.session;
    const own = session === undefined ? undefined : r.extrasOf(session);
    const answer = own?.subjectAccess;
    if (own !== undefined) own.subjectAccess = undefined;
    r.send(ctx, gdprPage(r.pageContext(ctx), notices, answer));
  });

  router.post('/gdpr/subject-access', r.auditor, async (ctx: ConsoleContext) => {
    const cpr = ctx.state.fields?.get('cpr') ?? '';
    const result = await deps.subjectAccess.execute({
      cprNummer: cpr,
      actor: r.actorOf(ctx),
      reason: r.reasonOf(ctx),
    });
    if (result._tag === 'InvalidCpr') {
      return r.fail(
        ctx,
        400,
        'Not a CPR number',
        'A CPR number is ten digits, with or without a dash after the sixth.',
      );
    }
    if (result._tag !== 'Found') return r.rejected(ctx, result);
    const normalised = normaliseCprNummer(cpr) ?? '';
    const session = ctx.state.session;
    if (session !== undefined) {
      r.extrasOf(session).subjectAccess = {
        maskedCpr: `${normalised.slice(0, 6)}-****`,
        entries: result.entries,
      };
    }
    r.backTo(
      ctx,
      '/gdpr#h-sa-result',
      `The search found ${result.entries.length} message(s); it is in the action log.`,
    );
  });
}

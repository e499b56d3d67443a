import type Router from '@koa/router';
import type { ConsoleContext, ConsoleRequests } from '../console-requests';
import { failureGroupPage, failuresPage } from './failures';

/** Failure groups, one group's members, and replay or park of a whole group after its preview. */
export function failuresRoutes(router: Router, r: ConsoleRequests): void {
  const { deps } = r;

  router.get('/failures', r.auditor, async (ctx: ConsoleContext) => {
    r.send(ctx, failuresPage(r.pageContext(ctx), await deps.explorer.failureGroups()));
  });

  router.get('/failures/:fingerprint', r.auditor, async (ctx: ConsoleContext) => {
    const fingerprint = ctx.params.fingerprint ?? '';
    if (!/^[0-9a-f]+$/.test(fingerprint)) return r.fail(ctx, 404, 'Not found', 'No such failure group.');
    const [groups, members] = await Promise.all([
      deps.explorer.failureGroups(),
      deps.explorer.failureGroupMembers(fingerprint),
    ]);
    const group = groups.find((g) => g.fingerprint === fingerprint);
    r.send(ctx, failureGroupPage(r.pageContext(ctx), fingerprint, group, members));
  });

  for (const action of ['replay', 'park'] as const) {
    router.post(`/failures/:fingerprint/${action}`, r.operator, async (ctx: ConsoleContext) => {
      const fingerprint = ctx.params.fingerprint ?? '';
      const expectedText = ctx.state.fields?.get('expected') ?? '';
      if (!/^\d+$/.test(expectedText)) {
        return r.fail(
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
        actor: r.actorOf(ctx),
        reason: r.reasonOf(ctx),
      });
      if (result._tag === 'GroupChanged') {
        return r.fail(
          ctx,
          409,
          'The group changed',
          `The preview showed ${result.expected} message(s), the group now has ${result.actual}. Nothing was changed; look at the group again.`,
        );
      }
      if (result._tag !== 'Done') return r.rejected(ctx, result);
      const verb = action === 'replay' ? 'Replayed' : 'Parked';
      r.backTo(ctx, '/failures', `${verb} ${result.messageIds.length} message(s) of group ${fingerprint}.`);
    });
  }
}

import type Router from '@koa/router';
import { type ConsoleContext, type ConsoleRequests, parseTime, queryText } from '../console-requests';
import { type ActionFilters, actionsPage } from './actions';

/** The action log: who did what, when and why. */
export function actionsRoutes(router: Router, r: ConsoleRequests): void {
  router.get('/actions', r.auditor, async (ctx: ConsoleContext) => {
    const filters: ActionFilters = {
      actor: queryText(ctx, 'actor'),
      action: queryText(ctx, 'action'),
      messageId: queryText(ctx, 'messageId'),
      since: queryText(ctx, 'since'),
    };
    const kinds = ['replay', 'park', 'redact', 'reveal', 'subject-access'] as const;
    const action = kinds.find((k) => k === filters.action);
    const since = filters.since === '' ? undefined : parseTime(filters.since);
    const after = queryText(ctx, 'after');
    if (filters.action !== '' && action === undefined) {
      return r.send(
        ctx,
        actionsPage(r.pageContext(ctx), filters, { problem: `Unknown action "${filters.action}".` }),
        400,
      );
    }
    if (since === null) {
      return r.send(
        ctx,
        actionsPage(r.pageContext(ctx), filters, { problem: 'Since is not a date and time.' }),
        400,
      );
    }
    const result = await r.deps.explorer.actions({
      limit: 50,
      ...(filters.actor === '' ? {} : { actor: filters.actor }),
      ...(action === undefined ? {} : { action }),
      ...(filters.messageId === '' ? {} : { messageId: filters.messageId.toLowerCase() }),
      ...(since === undefined ? {} : { since }),
      ...(/^\d+$/.test(after) ? { after } : {}),
    });
    r.send(ctx, actionsPage(r.pageContext(ctx), filters, result));
  });
}

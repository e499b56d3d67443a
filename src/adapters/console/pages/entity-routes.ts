import type Router from '@koa/router';
import type { ConsoleContext, ConsoleRequests } from '../console-requests';
import { entityPage } from './entity';

/** Every message of one eksternIdentifier, in acceptance order. */
export function entityRoutes(router: Router, r: ConsoleRequests): void {
  router.get('/entities/:eksternIdentifier', r.auditor, async (ctx: ConsoleContext) => {
    const eksternIdentifier = ctx.params.eksternIdentifier ?? '';
    const after =
      typeof ctx.query.after === 'string' && /^\d+$/.test(ctx.query.after) ? ctx.query.after : undefined;
    const result = await r.deps.explorer.entity(eksternIdentifier, after, 100);
    r.send(ctx, entityPage(r.pageContext(ctx), eksternIdentifier, result));
  });
}

import type Router from '@koa/router';
import type { ConsoleContext, ConsoleRequests } from '../console-requests';
import { type OverviewData, overviewJson, overviewPage } from './overview';

/** The overview page and the JSON its script polls every 5 seconds. */
export function overviewRoutes(router: Router, r: ConsoleRequests): void {
  const { deps } = r;
  const overviewData = async (): Promise<OverviewData> => {
    const since = new Date(r.now().getTime() - 3 * 3600 * 1000);
    const [statistics, minutes, processes] = await Promise.all([
      deps.statistics.execute('estimate'),
      deps.explorer.deliveriesPerMinute(since),
      deps.explorer.connectedProcesses(),
    ]);
    return { statistics, minutes, processes };
  };
  router.get('/', r.auditor, async (ctx: ConsoleContext) => {
    r.send(ctx, overviewPage(r.pageContext(ctx), await overviewData()));
  });
  router.get('/overview.json', r.auditor, async (ctx: ConsoleContext) => {
    ctx.body = overviewJson(await overviewData());
  });
}

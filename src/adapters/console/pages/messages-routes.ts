import type Router from '@koa/router';
import type { OutboxSearch, OutboxStatus } from '../../../application/operations/ports';
import { type ConsoleContext, type ConsoleRequests, parseTime, queryText } from '../console-requests';
import { messagePage } from './message';
import { MESSAGE_FILTER_NAMES, type MessageFilters, messagesPage } from './messages';

/** The message search, one message's page, and the operator's actions on one message. */
export function messagesRoutes(router: Router, r: ConsoleRequests): void {
  const { deps } = r;

  router.get('/messages', r.auditor, async (ctx: ConsoleContext) => {
    const filters = Object.fromEntries(
      MESSAGE_FILTER_NAMES.map((name) => [name, queryText(ctx, name)]),
    ) as unknown as Record<keyof MessageFilters, string>;
    // The list without filters is what is not delivered yet; a search (a bookmarked requestId, say)
    // looks at the whole history unless it names a status.
    if (filters.status === '') {
      const searching = MESSAGE_FILTER_NAMES.some((name) => name !== 'status' && filters[name] !== '');
      filters.status = searching ? 'any' : 'undelivered';
    }
    const search = messageSearch(filters, queryText(ctx, 'after'));
    if ('problem' in search) return r.send(ctx, messagesPage(r.pageContext(ctx), filters, search), 400);
    r.send(ctx, messagesPage(r.pageContext(ctx), filters, await deps.explorer.search(search)));
  });

  router.get('/messages/:id', r.auditor, async (ctx: ConsoleContext) => {
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
      return r.fail(ctx, 404, 'Not found', 'No message or request has this id.');
    }
    const actions = await deps.explorer.actions({ messageId: id, limit: 100 });
    const revealed = ctx.state.session?.revealed.get(id);
    r.send(ctx, messagePage(r.pageContext(ctx), detail, actions.items, revealed));
  });

  router.post('/messages/:id/replay', r.operator, async (ctx: ConsoleContext) => {
    const id = ctx.params.id ?? '';
    const result = await deps.replay.execute({
      target: { messageId: id },
      actor: r.actorOf(ctx),
      reason: r.reasonOf(ctx),
      dryRun: false,
    });
    if (result._tag !== 'Replayed') return r.rejected(ctx, result);
    r.backTo(ctx, `/messages/${id}`, 'Replayed: the message is due now.');
  });

  router.post('/messages/:id/park', r.operator, async (ctx: ConsoleContext) => {
    const id = ctx.params.id ?? '';
    const result = await deps.park.execute({
      messageId: id,
      actor: r.actorOf(ctx),
      reason: r.reasonOf(ctx),
      dryRun: false,
    });
    if (result._tag !== 'Parked') return r.rejected(ctx, result);
    r.backTo(ctx, `/messages/${id}`, 'Parked: the relay leaves it until it is replayed.');
  });

  router.post('/messages/:id/reveal', r.operator, async (ctx: ConsoleContext) => {
    const id = ctx.params.id ?? '';
    const result = await deps.reveal.execute({
      messageId: id,
      actor: r.actorOf(ctx),
      reason: r.reasonOf(ctx),
    });
    if (result._tag !== 'Revealed') return r.rejected(ctx, result);
    ctx.state.session?.revealed.set(
      result.messageId,
      result.payload === null ? '(redacted: no payload is kept)' : JSON.stringify(result.payload, null, 2),
    );
    r.backTo(
      ctx,
      `/messages/${result.messageId}#payload`,
      'Payload revealed; the reveal is in the action log.',
    );
  });
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

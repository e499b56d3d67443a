import type { Context } from 'koa';
import getRawBody from 'raw-body';

const LIMIT = '16kb';

/** A form post (`application/x-www-form-urlencoded`); any other body reads as no fields. */
export async function formFields(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const text = await getRawBody(ctx.req, { limit: LIMIT, encoding: 'utf8' });
  return new URLSearchParams(text);
}

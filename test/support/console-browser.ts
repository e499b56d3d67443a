import type { APIResponse, Locator, Page } from 'playwright-core';

export type ConsoleRole = 'auditor' | 'operator';

/** Development sign-in the way a person does it: the button for the role on `/login`. */
export async function signIn(page: Page, baseUrl: string, role: ConsoleRole): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page
    .locator(`form[action="/login/dev"]:has(input[name="role"][value="${role}"]) [type="submit"]`)
    .click();
  await page.waitForURL((url) => url.pathname !== '/login' && url.pathname !== '/login/dev');
}

/** The session's CSRF token, as the page's forms (or its meta tag) carry it. */
export async function csrfTokenOf(page: Page): Promise<string> {
  const field = page.locator('input[name="_csrf"]').first();
  if ((await field.count()) > 0) return field.inputValue();
  const meta = page.locator('meta[name="csrf-token"]');
  if ((await meta.count()) > 0) return (await meta.getAttribute('content')) ?? '';
  throw new Error(`no CSRF token on ${page.url()}`);
}

/**
 * A form POST from the page's session (its cookies) without the browser's help: what an auditor
 * who crafts the request, or another site, could send. Redirects are not followed.
 */
export function postForm(page: Page, url: string, form: Record<string, string>): Promise<APIResponse> {
  return page.request.post(url, { form, maxRedirects: 0, failOnStatusCode: false });
}

/** Every distinct `/failures/{fingerprint}` the failures page links to. */
export async function fingerprintsOf(page: Page, base: string): Promise<string[]> {
  await page.goto(`${base}/failures`);
  const found: string[] = [];
  for (const link of await page.locator('a[href^="/failures/"], form[action^="/failures/"]').all()) {
    const target = (await link.getAttribute('href')) ?? (await link.getAttribute('action')) ?? '';
    const fingerprint = /^\/failures\/([0-9a-f]+)/.exec(target)?.[1];
    if (fingerprint !== undefined && !found.includes(fingerprint)) found.push(fingerprint);
  }
  return found;
}

/**
 * Fills a form's fields, submits it and waits for the page it leads to (after the POST's redirect),
 * which may have the same URL as the page the form was on.
 */
export async function submit(page: Page, form: Locator, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await form.locator(`[name="${name}"]`).fill(value);
  await Promise.all([page.waitForEvent('load'), form.locator('[type="submit"]').click()]);
}

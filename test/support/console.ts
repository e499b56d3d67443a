import { createServer } from 'node:net';
import type { APIResponse, Page } from 'playwright-core';
import { type GatewayProcess, startGateway } from './gateway-process';

export type ConsoleRole = 'auditor' | 'operator';

export interface RunningConsole {
  readonly baseUrl: string;
  readonly process: GatewayProcess;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * `wsb-gateway console` as its own process, as an operator runs it, on a free port, against the
 * given database; resolves once `/login` answers. Development-mode sign-in unless `env` configures
 * OIDC.
 */
export async function startConsole(
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<RunningConsole> {
  const port = await freePort();
  const gateway = startGateway(['console'], {
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    CONSOLE_PORT: String(port),
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gateway.child.exitCode !== null) {
      throw new Error(
        `the console exited with ${gateway.child.exitCode}: ${JSON.stringify(gateway.logLines)}`,
      );
    }
    const answered = await fetch(`${baseUrl}/login`, { redirect: 'manual' }).then(
      (r) => r.status,
      () => 0,
    );
    if (answered === 200) break;
    if (Date.now() > deadline) {
      await gateway.stop();
      throw new Error(`the console did not answer on ${baseUrl}/login within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    process: gateway,
    stop: async () => {
      await gateway.stop();
    },
  };
}

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

import type { Container } from 'inversify';
import pino from 'pino';
import { type Configuration, loadConfiguration } from '../../src/composition/configuration';
import { closeContainer, createContainer } from '../../src/composition/container';
import { TOKENS } from '../../src/composition/tokens';

export interface RunningConsole {
  readonly baseUrl: string;
  readonly container: Container;
  close(): Promise<void>;
}

/**
 * The console as `wsb-gateway console` wires it (the production container) on an ephemeral port,
 * over the given database; `env` adds or overrides settings (OIDC, timeouts).
 */
export async function startConsole(
  databaseUrl: string,
  env: Readonly<Record<string, string>> = {},
  adjust: (config: Configuration) => Configuration = (c) => c,
): Promise<RunningConsole> {
  const config = adjust(
    loadConfiguration(
      { DATABASE_URL: databaseUrl, CONSOLE_PORT: '0', HOST: '127.0.0.1', ...env },
      { servesHttp: false, servesConsole: true },
    ),
  );
  const container = createContainer(
    'console',
    config,
    pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  );
  const service = await container.getAsync(TOKENS.ConsoleService);
  return {
    baseUrl: `http://127.0.0.1:${service.address?.port}`,
    container,
    close: () => closeContainer(container),
  };
}

export interface ConsoleResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly location: string | null;
}

/**
 * A browser as far as the console can tell: keeps its cookies, follows no redirect by itself, and
 * reads the CSRF token from the page it was last shown.
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** Development sign-in as a role: /login, then the form's POST to /login/dev. */
  static async signedIn(baseUrl: string, role: 'auditor' | 'operator'): Promise<ConsoleClient> {
    const client = new ConsoleClient(baseUrl);
    await client.get('/login');
    const answer = await client.post('/login/dev', { role }, { csrf: false });
    if (answer.status !== 303) throw new Error(`sign-in as ${role} answered ${answer.status}`);
    await client.get('/');
    return client;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<ConsoleResponse> {
    return this.request('GET', path, undefined, headers);
  }

  /** A form post; with the page's CSRF token unless `csrf: false` or a `_csrf` field is given. */
  post(
    path: string,
    fields: Record<string, string>,
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<ConsoleResponse> {
    const body = new URLSearchParams(fields);
    if (options.csrf !== false && !('_csrf' in fields) && this.csrfToken !== undefined) {
      body.set('_csrf', this.csrfToken);
    }
    return this.request('POST', path, body.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...options.headers,
    });
  }

  private async request(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<ConsoleResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      body,
      redirect: 'manual',
      headers: { ...(cookie === '' ? {} : { cookie }), ...headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair === undefined || at < 0) continue;
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    const token = /<meta name="csrf-token" content="([^"]*)"/.exec(text)?.[1];
    if (token !== undefined && token !== '') this.csrfToken = token;
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get('location'),
    };
  }
}

import { type Html, html, type HtmlValue } from '../html';
import type { ConsoleUser } from '../sessions';

export interface PageContext {
  readonly user: ConsoleUser | undefined;
  readonly csrfToken: string | undefined;
  readonly developmentMode: boolean;
  /** A one-time notice from the previous request (an action's outcome). */
  readonly flash: string | undefined;
  /** The current path, to mark the current navigation link. */
  readonly path: string;
}

const NAVIGATION: ReadonlyArray<readonly [string, string]> = [
  ['/', 'Overview'],
  ['/messages', 'Messages'],
  ['/failures', 'Failures'],
  ['/actions', 'Action log'],
  ['/gdpr', 'GDPR'],
];

function current(path: string, href: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

/** The hidden CSRF field every form that changes something carries. */
export function csrfField(page: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${page.csrfToken ?? ''}" />`;
}

/** Every page: landmarks, the navigation, who is signed in, and the development-mode banner. */
export function layout(page: PageContext, title: string, body: HtmlValue): Html {
  const user = page.user;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${page.csrfToken ?? ''}" />
        <title>${title} · wsb-gateway console</title>
        <link rel="stylesheet" href="/assets/uPlot.min.css" />
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/uPlot.iife.min.js" defer></script>
        <script src="/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="top">
          ${page.developmentMode ? html`<p class="dev-banner" role="note"><strong>development mode</strong>: local sign-in without an identity provider; refused when NODE_ENV=production.</p>` : ''}
          <div class="bar">
            <p class="brand"><a href="/">wsb-gateway console</a></p>
            ${
              user === undefined
                ? ''
                : html`<nav aria-label="Main">
                      <ul>
                        ${NAVIGATION.map(
                          ([href, label]) =>
                            html`<li>
                              <a href="${href}" ${current(page.path, href) ? html`aria-current="page"` : ''}
                                >${label}</a
                              >
                            </li>`,
                        )}
                      </ul>
                    </nav>
                    <form class="who" method="post" action="/logout">
                      <span>Signed in as <strong>${user.name}</strong> (${user.role ?? 'no role'})</span>
                      ${csrfField(page)}
                      <button type="submit">Sign out</button>
                    </form>`
            }
          </div>
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${page.flash === undefined ? '' : html`<p class="flash" role="status">${page.flash}</p>`} ${body}
        </main>
      </body>
    </html> `;
}

export function formatTime(value: Date | null | undefined): string {
  return value === null || value === undefined
    ? '—'
    : value
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

export function time(value: Date | null | undefined): Html {
  if (value === null || value === undefined) return html`—`;
  return html`<time datetime="${value.toISOString()}">${formatTime(value)}</time>`;
}

export function formatAge(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** CPR numbers in free text (an error message) shown as birth date and four stars. */
export function maskCpr(text: string): string {
  return text.replace(/\b(\d{6})-?\d{4}\b/g, '$1-****');
}

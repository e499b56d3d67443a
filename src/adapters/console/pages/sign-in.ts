import { type Html, html } from '../html';
import { layout, type PageContext } from './layout';

export function developmentLoginPage(page: PageContext): Html {
  return layout(
    page,
    'Sign in',
    html`<p>
        Development mode: choose a role. Each sign-in is recorded as <code>dev:&lt;role&gt;</code> in the
        action log.
      </p>
      <form method="post" action="/login/dev" class="sign-in">
        <input type="hidden" name="role" value="auditor" />
        <button type="submit">Sign in as auditor</button>
      </form>
      <form method="post" action="/login/dev" class="sign-in">
        <input type="hidden" name="role" value="operator" />
        <button type="submit">Sign in as operator</button>
      </form>`,
  );
}

export function oidcLoginPage(page: PageContext, problem: string | undefined): Html {
  return layout(
    page,
    'Sign in',
    html`${problem === undefined ? '' : html`<p class="problem" role="alert">${problem}</p>`}
      <p><a class="button" href="/login/oidc">Sign in with your organisation’s identity provider</a></p>`,
  );
}

/** After the provider's redirect: a same-site navigation, so the SameSite=Strict cookie is sent. */
export function signedInPage(): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content="0;url=/" />
        <title>Signed in · wsb-gateway console</title>
      </head>
      <body>
        <main>
          <h1>Signed in</h1>
          <p><a href="/">Continue to the console</a></p>
        </main>
      </body>
    </html>`;
}

export function noRolePage(page: PageContext, roleClaim: string): Html {
  return layout(
    page,
    'No console role',
    html`<p role="alert">
      You are signed in, but your identity provider gave you no console role, so there is nothing to show. The
      console reads the claim <code>${roleClaim}</code>; it needs the value <code>wsb-auditor</code> (read) or
      <code>wsb-operator</code> (read and act). Ask whoever manages your account for one of them.
    </p>`,
  );
}

export function problemPage(page: PageContext, title: string, problem: string): Html {
  return layout(page, title, html`<p class="problem" role="alert">${problem}</p>`);
}

/**
 * The intake's authentication port: the HTTP adapter asks it, the JWT adapter implements it.
 */
export const WRITE_SCOPE = 'virksomhedsordning.webservicebesked.write';

export interface Principal {
  /** `client_id` (or `azp`) of the token, else its `sub`. */
  readonly clientId: string;
}

export type AuthenticationResult =
  | { readonly _tag: 'Authenticated'; readonly principal: Principal }
  /** 401: no, malformed, expired or untrusted token. `reason` is safe to log; never the token. */
  | { readonly _tag: 'Unauthenticated'; readonly reason: string }
  /** 403: a valid token without the required scope. */
  | { readonly _tag: 'Forbidden'; readonly principal: Principal };

export interface Authenticator {
  authenticate(authorizationHeader: string | undefined): Promise<AuthenticationResult>;
}

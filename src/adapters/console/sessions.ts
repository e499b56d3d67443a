import { randomBytes, timingSafeEqual } from 'node:crypto';

export type ConsoleRole = 'auditor' | 'operator';

/** Who is signed in: the actor the action log records, and what they may do. */
export interface ConsoleUser {
  /** OIDC `sub`, or `dev:<role>` in development mode. */
  readonly actor: string;
  /** Undefined: signed in, but the identity provider gave no console role. */
  readonly role: ConsoleRole | undefined;
  readonly name: string;
}

export interface ConsoleSession {
  readonly id: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
  user: ConsoleUser | undefined;
  /** The OIDC flow under way: PKCE verifier, state and nonce, until the callback. */
  signIn?: { readonly codeVerifier: string; readonly state: string; readonly nonce: string };
  /** Payloads this session revealed (message id → pretty JSON), shown on the message page. */
  readonly revealed: Map<string, string>;
}

export interface SessionTimeouts {
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
}

const newId = () => randomBytes(32).toString('base64url');

/**
 * Server-side sessions: the cookie holds only a random id. Signing in always starts a new session
 * (no fixation); signing out deletes it here, so a copied cookie is worthless afterwards. A session
 * ends after `idleSeconds` without a request or `absoluteSeconds` after it began, whichever first.
 * Kept in this process's memory: a restart signs everyone out.
 */
export class SessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly timeouts: SessionTimeouts,
    private readonly now: () => number = () => Date.now(),
  ) {}

  create(): ConsoleSession {
    this.sweep();
    const at = this.now();
    const session: ConsoleSession = {
      id: newId(),
      csrfToken: newId(),
      createdAt: at,
      lastSeenAt: at,
      user: undefined,
      revealed: new Map(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, touched; undefined if unknown or timed out. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const at = this.now();
    if (this.expired(session, at)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = at;
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: ConsoleSession, at: number): boolean {
    return (
      at - session.lastSeenAt > this.timeouts.idleSeconds * 1000 ||
      at - session.createdAt > this.timeouts.absoluteSeconds * 1000
    );
  }

  private sweep(): void {
    const at = this.now();
    for (const [id, session] of this.sessions) if (this.expired(session, at)) this.sessions.delete(id);
  }
}

export function sameToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

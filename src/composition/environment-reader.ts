/** The process environment, or a test's stand-in for it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads one variable at a time with its default and bounds; every bad value adds a line to
 * `problems` (secrets in URLs never echoed), so configuration reports all of them at once.
 */
export class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string, fallback: string, allowEmpty = false): string {
    const value = this.env[name];
    if (value === undefined) return fallback;
    if (value === '' && !allowEmpty) return fallback;
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw.trim())) {
      this.problems.push(`${name}: "${raw}" is not a whole number`);
      return fallback;
    }
    const n = Number(raw.trim());
    if (n < min || n > max) {
      this.problems.push(`${name}: ${n} is outside ${min}..${max}`);
      return fallback;
    }
    return n;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}: "${raw}" is neither true nor false`);
    return fallback;
  }

  oneOf(name: string, fallback: string, allowed: readonly string[]): string {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!allowed.includes(raw)) {
      this.problems.push(`${name}: "${raw}" is not one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw;
  }

  /**
   * One URL, or several separated by commas (a cluster's nodes); each is checked. Returned
   * normalised: entries trimmed, empty ones dropped, joined by commas.
   */
  optionalUrlList(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    const entries = raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) {
      this.problems.push(`${name} names no URL`);
      return undefined;
    }
    const before = this.problems.length;
    entries.forEach((entry, i) =>
      this.checkUrl(entries.length === 1 ? name : `${name} entry ${i + 1}`, entry, protocols),
    );
    return this.problems.length === before ? entries.join(',') : undefined;
  }

  optionalUrl(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    return this.checkUrl(name, raw, protocols);
  }

  private checkUrl(name: string, raw: string, protocols: readonly string[]): string | undefined {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      // Never echo the value: URLs carry passwords.
      this.problems.push(`${name} is not a valid URL`);
      return undefined;
    }
    if (!protocols.includes(url.protocol)) {
      this.problems.push(`${name} must use ${protocols.join(' or ')} (got ${url.protocol})`);
      return undefined;
    }
    return raw;
  }
}

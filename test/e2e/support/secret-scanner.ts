import type request from 'supertest';

/**
 * Looks for secrets (ids, names, e-mails of things a caller may not know exist) anywhere in an
 * answer: status line aside, the raw body text and every header but the cookie one. It is
 * generic on purpose: it knows nothing of the endpoint's shape, so no new field can slip by.
 */
export class SecretScanner {
  private readonly secrets = new Set<string>();

  add(...values: string[]): void {
    for (const value of values) if (value.length >= 6) this.secrets.add(value.toLowerCase());
  }

  /** The secrets this answer carries (lower-cased). */
  found(response: request.Response): string[] {
    const headers = Object.entries(response.headers)
      .filter(([name]) => name !== 'set-cookie')
      .map(([, value]) => String(value));
    const haystack = [response.text ?? '', JSON.stringify(response.body ?? null), ...headers].join('\n').toLowerCase();
    // JSON escapes non-ASCII letters in some encoders: compare the decoded body too.
    const decoded = haystack.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return [...this.secrets].filter((secret) => decoded.includes(secret));
  }

  assertAbsent(response: request.Response, who: string): void {
    const leaked = this.found(response);
    if (leaked.length > 0) {
      const { method, path: url } = (response as unknown as { req?: { method?: string; path?: string } }).req ?? {};
      throw new Error(`${who} was shown ${leaked.join(', ')} by ${method ?? ''} ${url ?? ''} (${response.status}): ${response.text.slice(0, 500)}`);
    }
  }
}

import { translate, type Lang, type MessageKey } from '../i18n';

/** RFC 9457 problem details, as every error of the API answers (API.md, "Errors"). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem, readonly retryAfter?: number) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
  /** The server's messages for one field (a nested field `a.b` counts for `a`). */
  fieldMessages(field: string): string[] {
    return (this.problem.errors ?? []).filter((e) => e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`)).map((e) => e.message);
  }
}

/** The request never got an answer: the network or the server is down. */
export class NetworkError extends Error {}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => undefined;
/** Called once when a signed-in request answers 401: the session has expired. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/**
 * The highest log position this browser has written: queries ask the server to wait until its
 * read models include it (X-Min-Position), so that one sees one's own writes.
 */
let seenPosition = 0;
export function notePosition(position: unknown): void {
  if (typeof position === 'number' && position > seenPosition) seenPosition = position;
}
export function lastPosition(): number {
  return seenPosition;
}

export interface RequestOptions {
  body?: unknown;
  /** A 401 here is an answer, not an expired session (sign-in checks). */
  allowAnonymous?: boolean;
  signal?: AbortSignal;
  minPosition?: number;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const minPosition = Math.max(options.minPosition ?? 0, method === 'GET' ? seenPosition : 0);
  if (minPosition > 0) headers['X-Min-Position'] = String(minPosition);
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new NetworkError((error as Error).message);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const problem: Problem =
      parsed && typeof parsed === 'object' && 'status' in parsed ? (parsed as Problem) : { status: response.status, title: response.statusText };
    if (response.status === 401 && !options.allowAnonymous) onUnauthorized();
    const retryAfter = Number(response.headers.get('Retry-After')) || undefined;
    throw new ApiError(problem, retryAfter);
  }
  if (parsed && typeof parsed === 'object' && 'position' in parsed) notePosition((parsed as { position: unknown }).position);
  return parsed as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body: body ?? {} }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** A query string from the defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * The server answers in English for developers; people read French. Known phrasings are
 * translated; anything else keeps a French sentence with the original beside it.
 */
const FIELD_MESSAGES: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/must not be (blank|empty)$/, () => 'Ce champ est obligatoire.'],
  [/should not be empty$/, () => 'Ce champ est obligatoire.'],
  [/must have at most (\d+) characters$/, (m) => `Ce champ doit faire au plus ${m[1]} caractères.`],
  [/must be shorter than or equal to (\d+) characters$/, (m) => `Ce champ doit faire au plus ${m[1]} caractères.`],
  [/must have at least (\d+) characters$/, (m) => `Ce champ doit faire au moins ${m[1]} caractères.`],
  [/must be longer than or equal to (\d+) characters$/, (m) => `Ce champ doit faire au moins ${m[1]} caractères.`],
  [/must be a valid e-?mail( address)?$|must be an email$/, () => 'Saisissez une adresse électronique valide, par exemple nom@ac-demo.fr.'],
  [/must be 7 digits followed by a letter$/, () => 'Un UAI compte 7 chiffres suivis d’une lettre, par exemple 0061234X.'],
  [/must be one of (.+)$/, (m) => `Choisissez l’une des valeurs proposées (${m[1]}).`],
  [/must be a UUID$/, () => 'Identifiant invalide.'],
  [/must be an integer( number)?$|must be a revision number$/, () => 'Saisissez un nombre entier.'],
  [/must be at least (\d+)$|must not be less than (\d+)$/, (m) => `La valeur doit être au moins ${m[1] ?? m[2]}.`],
  [/must be a string$/, () => 'Saisissez un texte.'],
  [/is not a short word/, () => 'Un mot-clé est un mot court (lettres, chiffres, « - » ou « _ »).'],
  [/should not exist$/, () => 'Ce champ n’est pas attendu.'],
  [/is locked/i, () => 'Ce sujet est verrouillé.'],
];

export function frenchFieldMessage(message: string): string {
  for (const [pattern, render] of FIELD_MESSAGES) {
    const match = message.match(pattern);
    if (match) return render(match);
  }
  return translate('fr', 'error.field');
}

/** A French sentence for an error as a whole (beside the form, not a field). */
export function describeError(error: unknown, lang: Lang = 'fr'): string {
  if (error instanceof NetworkError) return translate(lang, 'error.network');
  if (error instanceof ApiError) {
    const status = error.status;
    if (status === 429) return translate(lang, 'error.429', { seconds: error.retryAfter ?? 30 });
    const key = `error.${status >= 500 ? 500 : status}` as MessageKey;
    try {
      return translate(lang, key);
    } catch {
      return translate(lang, 'error.generic');
    }
  }
  return translate(lang, 'error.generic');
}

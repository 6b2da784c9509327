import fc from 'fast-check';
import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';

/**
 * Hostile-input arbitraries for an HTTP API, driven by its OpenAPI document: every operation
 * gets path parameters, query strings, headers and bodies built from what it declares, bent out
 * of shape to a degree drawn per request (from clean, so that requests reach the deciders, to
 * wild). What is generated is wire text (percent-encoded path segments and query strings, raw
 * JSON), so that what JavaScript cannot build normally still reaches the server: lone
 * surrogates, `1e309`, `-0`, duplicate and `__proto__` keys, malformed percent escapes.
 */

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Operation {
  method: HttpMethod;
  path: string;
  operation: OperationObject;
  pathParams: string[];
  queryParams: ParameterObject[];
  headerParams: ParameterObject[];
  bodySchema?: SchemaObject;
}

export const isCommand = (method: HttpMethod): boolean => method !== 'get';

export function operationsOf(document: OpenAPIObject): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = (operation.parameters ?? []).map((p) => resolve<ParameterObject>(document, p));
      const body = operation.requestBody ? resolve<{ content?: Record<string, { schema?: SchemaObject | ReferenceObject }> }>(document, operation.requestBody) : undefined;
      const schema = body?.content?.['application/json']?.schema;
      operations.push({
        method,
        path,
        operation,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        queryParams: parameters.filter((p) => p.in === 'query'),
        headerParams: parameters.filter((p) => p.in === 'header'),
        ...(schema ? { bodySchema: resolve<SchemaObject>(document, schema) } : {}),
      });
    }
  }
  return operations;
}

function resolve<T>(document: OpenAPIObject, value: T | ReferenceObject): T {
  if (!value || typeof value !== 'object' || !('$ref' in value)) return value as T;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
  if (target === undefined) throw new Error(`unresolved ${value.$ref}`);
  return resolve<T>(document, target as T);
}

/** Every enum of the document by property name: a path parameter `{emoji}` borrows the body's. */
export function enumsByName(document: OpenAPIObject): Map<string, Json[]> {
  const found = new Map<string, Json[]>();
  const visit = (schema: SchemaObject) => {
    for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>)) {
      const values = property.enum ?? (property.items as SchemaObject | undefined)?.enum;
      if (values?.length) found.set(name, values as Json[]);
    }
  };
  for (const schema of Object.values(document.components?.schemas ?? {})) visit(schema as SchemaObject);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Real ids, by kind, learnt from what the API answers

const USER_WORDS = /^(user|author|member|actor|by|owner|creator)$/i;

/** The kind of thing a name points at: `spaceId` → spaces, `authorId` → users, `id` → undefined. */
export function kindOfName(name: string): string | undefined {
  const word = /([A-Za-z][a-z]*)Id$/.exec(name)?.[1] ?? (/^(topic|post|space|document|user|faq)$/i.test(name) ? name : undefined);
  if (!word) return undefined;
  return USER_WORDS.test(word) ? 'users' : plural(word.toLowerCase());
}

const plural = (noun: string): string => `${noun.replace(/s$/, '')}s`;

/** The kind an `{id}` of a path names: the literal segment before it (`/api/topics/{id}` → topics). */
export function kindOfParam(path: string, name: string): string | undefined {
  if (name !== 'id') return kindOfName(name);
  const segments = path.split('/');
  const at = segments.indexOf('{id}');
  return at > 0 ? segments[at - 1] : undefined;
}

/** Ids known to exist, by kind, the most recent kept: real ids let the fuzz reach past 404. */
export class IdPool {
  private readonly byKind = new Map<string, string[]>();
  private static readonly KEEP = 40;

  add(kind: string, id: string): void {
    kind = plural(kind);
    const pool = this.byKind.get(kind) ?? [];
    if (pool.includes(id)) return;
    pool.push(id);
    if (pool.length > IdPool.KEEP) pool.shift();
    this.byKind.set(kind, pool);
  }

  /** One of the kind when there is one, else any. */
  pick(kind: string | undefined, n: number): string {
    const pool = (kind && this.byKind.get(plural(kind))) || [...this.byKind.values()].flat();
    return pool.length > 0 ? pool[n % pool.length]! : '00000000-0000-4000-8000-000000000000';
  }

  /** Learns the ids of a JSON answer to `path`: `id` at the top is of the path's last noun. */
  harvest(path: string, answer: unknown): void {
    const nouns = path.split('/').filter((s) => s && s !== 'api' && !s.startsWith('{'));
    const walk = (value: unknown, kind: string | undefined) => {
      if (Array.isArray(value)) {
        for (const item of value) walk(item, kind);
      } else if (value && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          if (typeof child === 'string' && UUID.test(child)) {
            const childKind = key === 'id' ? kind : kindOfName(key);
            if (childKind) this.add(childKind, child);
          } else {
            walk(child, key === 'items' ? kind : (kindOfName(key) ?? (/^[a-z]+$/.test(key) ? key : kind)));
          }
        }
      }
    };
    walk(answer, nouns[nouns.length - 1]);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------------------------------------
// Strings

export const HUGE = 100_000;

/** Strings chosen for what they break: encodings, parsers, number coercion, prototypes, SQL, HTML. */
const NOTORIOUS = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\udc00a',
  '\ufeff',
  '\ufffe',
  '\u200f',
  '\u202e',
  '\u200e\u202bمرحبا\u202c',
  '\u0301',
  'Z\u0351\u0360\u0368a\u036b\u0357l\u0311g\u0310o',
  '🐝',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  'ﷺ',
  'İ',
  'ß',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e309',
  '-1e309',
  '1e-400',
  '0x10',
  '0b1',
  '１２３',
  '9007199254740993',
  '123456789012345678901234567890',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '..',
  '../../etc/passwd',
  '%00',
  '%',
  "' OR 1=1 --",
  'Robert"); DROP TABLE events;--',
  '<script>alert(1)</script>',
  '[x](javascript:alert(1))',
  '${7*7}{{7*7}}',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{00000000-0000-0000-0000-000000000000}',
  '00000000000000000000000000000000',
  'x@ac-test.fr',
  '0061234X',
];

/** One code unit or code point: any code point, lone surrogates, controls, bidi marks. */
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u200f', '\u202e', '\u2028', '\ufeff', '🐝', '\u0301') },
);

const hugeString = fc.constantFrom('x', '🐝', '\ud800', 'é', '\u202e').map((c) => c.repeat(HUGE));

/** Hostile text; `hugeWeight` is low in URLs, where any huge value is only ever a 431. */
function hostileText(hugeWeight: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...NOTORIOUS) },
    { weight: 6, arbitrary: fc.string({ unit, maxLength: 40 }) },
    { weight: hugeWeight, arbitrary: hugeString },
    { weight: 2, arbitrary: fc.integer({ min: 200, max: 3_000 }).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.repeat(40)) },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.replace(/-/g, '')) },
  );
}

export const hostileString = hostileText(2);
const hostileUrlText = hostileText(1);

// ---------------------------------------------------------------------------------------------
// Percent-encoding that can also say what no well-formed encoder says

/** Percent-encodes UTF-8, lone surrogates as their (invalid) three-byte form. */
export function percentEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(text[i]!);
    }
  }
  return out;
}

/** Escapes no decoder accepts: truncated, overlong, invalid bytes. */
const MALFORMED_ESCAPES = ['%', '%E0%A4%A', '%ZZ', '%FF', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '%00', '%2e%2e', '%2F', '%5C', '%u0041'];

/** A hostile path segment or query value, as wire text. */
const hostileWireText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: hostileUrlText.map(percentEncode) },
  { weight: 1, arbitrary: fc.tuple(hostileUrlText.map(percentEncode), fc.constantFrom(...MALFORMED_ESCAPES)).map(([a, b]) => a + b) },
);

// ---------------------------------------------------------------------------------------------
// JSON as text, so that duplicate keys, `__proto__` and out-of-range numbers survive

export class RawJson {
  constructor(readonly text: string) {}
}
export class JsonEntries {
  constructor(readonly entries: readonly (readonly [string, Json])[]) {}
}
export type Json = null | boolean | string | number | RawJson | JsonEntries | readonly Json[];

export function jsonText(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonEntries) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  return JSON.stringify(value);
}

/** A JSON value as query-string text: strings as they are, the rest as JSON. */
const asText = (value: Json): string => (typeof value === 'string' ? value : jsonText(value));

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'isAdmin', 'roles', '', '\u0000', '\ud800'];

const numberLiteral = fc.oneof(
  fc.constantFrom('1e309', '-1e309', '-0', '0', '1e-400', '123456789012345678901234567890', '9007199254740993', '-1', '0.5', '1E2'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString);

/** Any JSON value, shallow, with hostile leaves and keys. */
export const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: hostileString },
    { weight: 2, arbitrary: numberLiteral.map((n) => new RawJson(n)) },
    { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map((e) => new JsonEntries(e)) },
  ),
})).value;

/** Nesting far deeper than any DTO: arrays, objects, or both, as text. */
export const deeplyNested: fc.Arbitrary<RawJson> = fc
  .tuple(fc.integer({ min: 500, max: 150_000 }), fc.constantFrom('array', 'object', 'proto'))
  .map(([depth, shape]) => {
    if (shape === 'array') return new RawJson('['.repeat(depth) + ']'.repeat(depth));
    const key = shape === 'proto' ? '__proto__' : 'a';
    return new RawJson(`{"${key}":`.repeat(depth) + '1' + '}'.repeat(depth));
  });

// ---------------------------------------------------------------------------------------------
// How hostile one request is

/**
 * Drawn once per request: the odds that each part of it (a path segment, a query value, a field)
 * is hostile rather than plausible. Clean requests reach the deciders, wild ones the parsers.
 */
export type Hostility = readonly [plausible: number, hostile: number];
export const hostility: fc.Arbitrary<Hostility> = fc.constantFrom<Hostility>([1, 0], [6, 1], [1, 1], [0, 1]);

function either<T>(level: Hostility, plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>): fc.Arbitrary<T> {
  if (level[1] === 0) return plausible;
  if (level[0] === 0) return hostile;
  return fc.oneof({ weight: level[0], arbitrary: plausible }, { weight: level[1], arbitrary: hostile });
}

// ---------------------------------------------------------------------------------------------
// Values that fit what the document declares, so that a request can reach past validation

export interface FuzzContext {
  ids: IdPool;
  enums: Map<string, Json[]>;
}

function plausible(schema: SchemaObject | undefined, name: string, context: FuzzContext): fc.Arbitrary<Json> {
  const values = schema?.enum ?? context.enums.get(name);
  if (values?.length && schema?.type !== 'array') return fc.constantFrom(...(values as Json[]));
  const byType = plausibleByType(schema ?? {}, name, context);
  return schema?.example !== undefined ? fc.oneof(fc.constant(schema.example as Json), byType) : byType;
}

function plausibleByType(schema: SchemaObject, name: string, context: FuzzContext): fc.Arbitrary<Json> {
  switch (schema.type) {
    case 'number':
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      return fc.integer({ min, max: typeof schema.maximum === 'number' ? schema.maximum : min + 5 });
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible({ ...(schema.items as SchemaObject | undefined), ...(context.enums.has(name) ? { enum: context.enums.get(name) } : {}) }, name, context), { maxLength: 3 });
    case 'object':
      return fc.constant(new JsonEntries([]));
    default: {
      if (schema.format === 'email' || /e-?mail/i.test(name)) return fc.oneof(fc.emailAddress(), fc.constant('x@ac-test.fr'));
      const kind = kindOfName(name);
      if (schema.format === 'uuid' || kind) return realId(kind, context);
      // A string of unknown meaning may be an id (`replyTo`), a number (`rev`) or words.
      return fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.nat(5).map(String), realId(undefined, context));
    }
  }
}

/** A real id of the kind, chosen when the value is drawn (the pool grows as the fuzz goes). */
export function realId(kind: string | undefined, context: FuzzContext): fc.Arbitrary<string> {
  return fc.nat().map((n) => context.ids.pick(kind, n));
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface FuzzRequest {
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function pathSegment(path: string, name: string, level: Hostility, context: FuzzContext): fc.Arbitrary<string> {
  const kind = kindOfParam(path, name);
  const isId = name === 'id' || /Id$/.test(name);
  const fitting = isId
    ? fc.oneof({ weight: 6, arbitrary: realId(kind, context) }, { weight: 1, arbitrary: fc.uuid() })
    : plausible({ type: 'string' }, name, context).map((v) => percentEncode(asText(v)));
  return either(level, fitting, hostileWireText);
}

function queryString(params: ParameterObject[], level: Hostility, context: FuzzContext): fc.Arbitrary<string> {
  const hostileEntry = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: hostileWireText.map((v) => [`${percentEncode(name)}=${v}`]) },
      // A repeated key: the framework hands the handler an array where it expects a string.
      { weight: 1, arbitrary: fc.tuple(hostileWireText, hostileWireText).map(([a, b]) => [`${percentEncode(name)}=${a}`, `${percentEncode(name)}=${b}`]) },
      { weight: 1, arbitrary: hostileWireText.map((v) => [`${percentEncode(name)}%5B__proto__%5D=${v}`]) },
    );
  const declared = params.map((p) =>
    fc.option(
      either(
        level,
        plausible(p.schema as SchemaObject | undefined, p.name, context).map((v) => [`${percentEncode(p.name)}=${percentEncode(asText(v))}`]),
        hostileEntry(p.name),
      ),
      { nil: undefined, freq: 2 },
    ),
  );
  const extra = level[1] === 0 ? fc.constant([]) : fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileUrlText), hostileWireText), { maxLength: 2 });
  return fc.tuple(fc.tuple(...declared), extra).map(([chosen, more]) => {
    const pairs = chosen.flatMap((entry) => entry ?? []);
    for (const [key, value] of more) pairs.push(`${percentEncode(key)}=${value}`);
    return pairs.length > 0 ? `?${pairs.join('&')}` : '';
  });
}

/** An object shaped like the schema: its required fields (mostly), others sometimes, and extra keys. */
function shapedBody(schema: SchemaObject, level: Hostility, context: FuzzContext): fc.Arbitrary<Json> {
  const required = new Set(schema.required ?? []);
  const properties = Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>);
  const fields = properties.map(([name, property]) =>
    fc.option(either(level, plausible(property, name, context), hostileJson).map((v) => [name, v] as const), {
      nil: undefined,
      freq: required.has(name) ? 12 : 2,
    }),
  );
  const extra = level[1] === 0 ? fc.constant([]) : fc.option(fc.array(fc.tuple(hostileKey, hostileJson), { minLength: 1, maxLength: 2 }), { nil: [], freq: 3 });
  return fc.tuple(fc.tuple(...fields), extra).map(([chosen, more]) => {
    const entries = chosen.filter((e): e is readonly [string, Json] => e !== undefined);
    return new JsonEntries([...entries, ...more]);
  });
}

const JSON_TYPE = 'application/json';
type Sent = { body?: string | Buffer; headers: Record<string, string> };

/** Bodies no JSON parser or decoder should take, and content types nobody asked for. */
const BROKEN_BODIES: Sent[] = [
  { body: '{"name": 1,}', headers: { 'Content-Type': JSON_TYPE } },
  { body: '{"a": NaN}', headers: { 'Content-Type': JSON_TYPE } },
  { body: "{'a': 1}", headers: { 'Content-Type': JSON_TYPE } },
  { body: '', headers: { 'Content-Type': JSON_TYPE } },
  { body: '\ufeff{}', headers: { 'Content-Type': JSON_TYPE } },
  { body: '"\\ud800"', headers: { 'Content-Type': JSON_TYPE } },
  { body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]), headers: { 'Content-Type': JSON_TYPE } },
  { body: '{}', headers: { 'Content-Type': 'application/json; charset=utf-7' } },
  { body: '{}', headers: { 'Content-Type': 'application/json; charset=nonsense' } },
  { body: '{}', headers: { 'Content-Type': 'application/json; charset=utf-16' } },
  { body: '{}', headers: { 'Content-Type': 'application/json; charset=iso-8859-1' } },
  { body: '{}', headers: { 'Content-Type': 'application/json; charset=utf-nonsense' } },
  { body: '{}', headers: { 'Content-Type': JSON_TYPE, 'Content-Encoding': 'gzip' } },
  { body: '{}', headers: { 'Content-Type': JSON_TYPE, 'Content-Encoding': 'br, x-unknown' } },
  { body: 'a=1&b=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
  { body: 'hello', headers: { 'Content-Type': 'text/plain' } },
  { body: '{}', headers: { 'Content-Type': 'application/json; boundary=\u00ff' } },
  { body: '{}', headers: { 'Content-Type': 'application/jsonx' } },
  { body: 'x'.repeat(2 * 1024 * 1024), headers: { 'Content-Type': JSON_TYPE } },
];

function body(schema: SchemaObject | undefined, level: Hostility, context: FuzzContext): fc.Arbitrary<Sent> {
  const json = (value: fc.Arbitrary<Json>): fc.Arbitrary<Sent> => value.map((v) => ({ body: jsonText(v), headers: { 'Content-Type': JSON_TYPE } }));
  const shaped = json(schema ? shapedBody(schema, level, context) : fc.constant(new JsonEntries([])));
  const wild = fc.oneof(
    { weight: 4, arbitrary: json(hostileJson) },
    { weight: 1, arbitrary: json(deeplyNested) },
    { weight: 1, arbitrary: fc.constant<Sent>({ headers: {} }) },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_BODIES) },
  );
  // A wholly wild body only where a request is meant to be hostile, and not every time then.
  return level[1] === 0 ? shaped : fc.oneof({ weight: 3, arbitrary: shaped }, { weight: level[1] * 2, arbitrary: wild });
}

/** What a header can carry (Node refuses control characters and anything past U+00FF). */
const headerValue = fc.oneof(
  fc.constantFrom('', ' ', 'NaN', '-0', '1e309', '__proto__', 'null', '00000000-0000-0000-0000-000000000000', '\u00ff\u00fe', 'x'.repeat(8_000), 'x'.repeat(20_000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.uuid(),
);

/** X-Min-Position values that are not positions (a real far one would only make the test wait). */
const minPosition = fc.constantFrom('NaN', '-1', '-0', '1e309', '0x1', ' 1', '1.5', '99999999999999999999', '', '0');

export function requestFor(op: Operation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return hostility.chain((level) => {
    const segments = fc.tuple(...op.pathParams.map((name) => pathSegment(op.path, name, level, context)));
    const sent = isCommand(op.method) ? body(op.bodySchema, level, context) : fc.constant<Sent>({ headers: {} });
    const headers = fc.tuple(...op.headerParams.map((p) => fc.option(either(level, fc.uuid(), headerValue).map((v) => [p.name, v] as const), { nil: undefined, freq: 3 })));
    const position = level[1] === 0 ? fc.constant(null) : fc.option(minPosition, { freq: 8 });
    return fc.tuple(segments, queryString(op.queryParams, level, context), sent, position, headers).map(([values, query, payload, at, declared]) => {
      let url = op.path;
      op.pathParams.forEach((name, i) => {
        url = url.replace(`{${name}}`, values[i]!);
      });
      const all: Record<string, string> = {
        ...payload.headers,
        ...(at !== null ? { 'X-Min-Position': at } : {}),
        ...Object.fromEntries(declared.filter((h) => h !== undefined)),
      };
      return { url: url + query, headers: all, ...(payload.body !== undefined ? { body: payload.body } : {}) };
    });
  });
}

/** How a request reads in a failure message: huge values shortened. */
export function describeRequest(method: string, request: FuzzRequest): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s);
  const bodyText = request.body === undefined ? '' : Buffer.isBuffer(request.body) ? `<${request.body.length} bytes>` : cut(request.body);
  return `${method.toUpperCase()} ${cut(request.url)} ${JSON.stringify(request.headers)} ${bodyText}`;
}

import type { OpenAPIObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';

/**
 * Does a real answer match what the OpenAPI document says of it? Strict on purpose: every
 * required property present, no property the schema does not list (unless it allows extra ones
 * with `additionalProperties`), `null` only where `nullable`, enums, integers, and the formats
 * we use (uuid, date-time, email, uri). Covers the OpenAPI 3.0 subset Nest's generator emits.
 */

const FORMATS: Record<string, (value: string) => boolean> = {
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  'date-time': (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)),
  email: (v) => /^[^@\s]+@[^@\s]+$/.test(v),
  uri: (v) => URL.canParse(v),
};

function resolve(document: OpenAPIObject, schema: SchemaObject | ReferenceObject): SchemaObject {
  if (!('$ref' in schema)) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = document.components?.schemas?.[name];
  if (!target) throw new Error(`unresolved ${schema.$ref}`);
  return resolve(document, target);
}

/** What is wrong with `value` against `schema`, as `path: problem` lines; empty when it conforms. */
export function schemaErrors(document: OpenAPIObject, given: SchemaObject | ReferenceObject, value: unknown, at = '$'): string[] {
  const schema = resolve(document, given);
  if (value === null) return schema.nullable ? [] : [`${at}: null where the schema does not allow it`];
  if (schema.allOf) return schema.allOf.flatMap((part) => schemaErrors(document, part, value, at));
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const each = alternatives.map((part) => schemaErrors(document, part, value, at));
    return each.some((errors) => errors.length === 0) ? [] : [`${at}: matches none of its alternatives (${each.map((e) => e[0]).join('; ')})`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') return [`${at}: ${JSON.stringify(value)} is not a string`];
      const check = schema.format ? FORMATS[schema.format] : undefined;
      return check && !check(value) ? [`${at}: ${JSON.stringify(value)} is not a ${schema.format}`] : [];
    }
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: ${JSON.stringify(value)} is not an integer`];
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? [] : [`${at}: ${JSON.stringify(value)} is not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: ${JSON.stringify(value)} is not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return schema.items ? value.flatMap((item, i) => schemaErrors(document, schema.items!, item, `${at}[${i}]`)) : [];
  }
  if (schema.type === 'object' || schema.properties || schema.additionalProperties !== undefined) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
    const record = value as Record<string, unknown>;
    const properties = schema.properties ?? {};
    const missing = (schema.required ?? []).filter((name) => !(name in record)).map((name) => `${at}.${name}: required, absent`);
    const present = Object.entries(record).flatMap(([name, property]) => {
      const declared = properties[name];
      if (declared) return schemaErrors(document, declared, property, `${at}.${name}`);
      const extra = schema.additionalProperties;
      if (extra === true) return [];
      if (extra) return schemaErrors(document, extra, property, `${at}.${name}`);
      return [`${at}.${name}: not in the schema`];
    });
    return [...missing, ...present];
  }
  return [`${at}: the schema says nothing of this value`];
}

/** The documented path an actual URL was sent to: `/api/spaces/0190…/members` → `/api/spaces/{id}/members`. */
export function documentedPath(document: OpenAPIObject, url: string): string | undefined {
  const segments = new URL(url, 'http://x').pathname.split('/');
  const matches = Object.keys(document.paths).filter((template) => {
    const parts = template.split('/');
    return parts.length === segments.length && parts.every((part, i) => (/^\{[^}]+\}$/.test(part) ? segments[i] !== '' : part === segments[i]));
  });
  // A literal segment beats a parameter: fewer `{` wins.
  return matches.sort((a, b) => a.split('{').length - b.split('{').length)[0];
}

/** What is wrong with an answer against the operation's documented answer for its status. */
export function answerErrors(document: OpenAPIObject, method: string, url: string, status: number, contentType: string | undefined, body: unknown): string[] {
  const path = documentedPath(document, url);
  if (!path) return [`${method.toUpperCase()} ${url}: no documented path`];
  const operation = document.paths[path]?.[method.toLowerCase() as 'get'];
  if (!operation) return [`${method.toUpperCase()} ${path}: not documented`];
  const answer = operation.responses[String(status)] as ResponseObject | undefined;
  if (!answer) return [`${method.toUpperCase()} ${path}: answered ${status}, which is not documented`];
  const media = (contentType ?? '').split(';')[0]!.trim();
  const content = answer.content ?? {};
  if (Object.keys(content).length === 0) return media ? [`${method.toUpperCase()} ${path} ${status}: documented without a body, answered ${media}`] : [];
  const documented = content[media]?.schema;
  if (!documented) return [`${method.toUpperCase()} ${path} ${status}: answered ${media || 'no body'}, documented ${Object.keys(content).join(', ')}`];
  return schemaErrors(document, documented, body).map((error) => `${method.toUpperCase()} ${path} ${status} ${error}`);
}

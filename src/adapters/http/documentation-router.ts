import Router from '@koa/router';
import { ASYNCAPI_DOCUMENT } from './asyncapi';
import type { JsonSchema } from './codec-json-schema';
import { OPENAPI_DOCUMENT } from './openapi';

/**
 * `GET /openapi.json` and `GET /docs`: the OpenAPI document and a page rendering it on the server,
 * self-contained (no script, no CDN), so it works on a network without internet access. Neither
 * needs a token: they describe the API, they do not touch data.
 */
export function createDocumentationRouter(
  document: JsonSchema = OPENAPI_DOCUMENT,
  asyncApi: JsonSchema = ASYNCAPI_DOCUMENT,
): Router<{ route?: string }> {
  const router = new Router<{ route?: string }>();
  const json = JSON.stringify(document, null, 2);
  const html = renderDocumentation(document);
  router.get('/openapi.json', (ctx) => {
    ctx.state.route = '/openapi.json';
    ctx.type = 'application/json';
    ctx.body = json;
  });
  // The messages on RabbitMQ (AsyncAPI 3), generated from the same codecs.
  const asyncApiJson = asyncApiText(asyncApi);
  router.get('/asyncapi.json', (ctx) => {
    ctx.state.route = '/asyncapi.json';
    ctx.type = 'application/json';
    ctx.body = asyncApiJson;
  });
  router.get('/docs', (ctx) => {
    ctx.state.route = '/docs';
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  });
  return router;
}

const escape = (text: unknown): string =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};

const refName = (ref: unknown): string | undefined =>
  typeof ref === 'string' ? ref.replace(/^#\/components\/(schemas|parameters)\//, '') : undefined;

/** A short human type for a schema, in the source document's vocabulary. */
function typeOf(schema: Record<string, unknown>): string {
  const ref = refName(schema.$ref);
  if (ref !== undefined) return `<a href="#${escape(ref)}">${escape(ref)}</a>`;
  if (typeof schema['x-codeList'] === 'string') return escape(schema['x-codeList']);
  if (Array.isArray(schema.oneOf)) {
    return (schema.oneOf as unknown[])
      .map((s) => typeOf(asRecord(s)))
      .filter((s) => s !== 'null')
      .join(' | ');
  }
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((x) => x !== 'null');
  if (types[0] === 'array') return `${typeOf(asRecord(schema.items))}[]`;
  return escape(typeof schema.format === 'string' ? schema.format : types.join(' | '));
}

function isNullable(schema: Record<string, unknown>): boolean {
  if (Array.isArray(schema.type)) return schema.type.includes('null');
  return Array.isArray(schema.oneOf) && schema.oneOf.some((s) => asRecord(s).type === 'null');
}

function details(schema: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof schema.minLength === 'number') parts.push(`MinLength: ${schema.minLength}`);
  if (typeof schema.maxLength === 'number') parts.push(`MaxLength: ${schema.maxLength}`);
  if (Array.isArray(schema.oneOf) && schema['x-codeList'] !== undefined) parts.push('0–10000000, heltal');
  return escape(parts.join(', '));
}

function schemaTable(name: string, schema: Record<string, unknown>): string {
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const rows = Object.entries(asRecord(schema.properties)).map(([property, raw]) => {
    const p = asRecord(raw);
    const occurrence = required.has(property) ? (isNullable(p) ? '1 (null tilladt)' : '1') : '0 - 1';
    const collection = p.type === 'array' ? '0 - *' : '';
    return `<tr><td><code>${escape(property)}</code></td><td>${typeOf(p)}</td><td>${details(p)}</td><td>${escape(collection ? `${occurrence} (elementer ${collection})` : occurrence)}</td><td>${escape(p.description ?? '')}</td></tr>`;
  });
  return `<section id="${escape(name)}"><h3>${escape(name)}</h3>${
    typeof schema.description === 'string' ? `<p>${escape(schema.description)}</p>` : ''
  }<table><thead><tr><th>Element</th><th>Type</th><th>Detaljer</th><th>Forekomst</th><th>Beskrivelse</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function operationSection(
  path: string,
  method: string,
  raw: unknown,
  components: Record<string, unknown>,
): string {
  const op = asRecord(raw);
  const parameters = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => {
    const param = asRecord(p);
    const resolved = asRecord(asRecord(components.parameters)[refName(param.$ref) ?? ''] ?? param);
    return `<tr><td><code>${escape(resolved.name)}</code> [${escape(resolved.in)}]</td><td>${typeOf(asRecord(resolved.schema))}</td><td>${details(asRecord(resolved.schema))}</td><td>${resolved.required === true ? '1' : '0 - 1'}</td><td>${escape(resolved.description ?? '')}</td></tr>`;
  });
  const content = asRecord(asRecord(asRecord(op.requestBody).content)['application/json']);
  const body = typeOf(asRecord(content.schema));
  const scopes = (Array.isArray(op.security) ? op.security : []).flatMap((s) =>
    Object.values(asRecord(s)).flat(),
  );
  const responses = Object.entries(asRecord(op.responses)).map(
    ([status, r]) => `<tr><td>${escape(status)}</td><td>${escape(asRecord(r).description ?? '')}</td></tr>`,
  );
  const examples = Object.values(asRecord(content.examples)).map(
    (e) => `<pre>${escape(JSON.stringify(asRecord(e).value, null, 2))}</pre>`,
  );
  return `<section><h2>${escape(String(op.operationId))} (${escape(method.toUpperCase())} ${escape(path)})</h2>
<p>${escape(op.summary ?? '')}</p><p>Scope: <code>${scopes.map(escape).join(', ')}</code></p>
<table><thead><tr><th>Element</th><th>Type</th><th>Detaljer</th><th>Forekomst</th><th>Beskrivelse</th></tr></thead>
<tbody>${parameters.join('')}<tr><td>requestBody</td><td>${body}</td><td></td><td>1</td><td></td></tr></tbody></table>
<h3>Svar</h3><table><thead><tr><th>Status</th><th>Beskrivelse</th></tr></thead><tbody>${responses.join('')}</tbody></table>
<h3>Eksempel</h3>${examples.join('')}</section>`;
}

/** The whole page, rendered once from the document. */
export function renderDocumentation(document: JsonSchema): string {
  const info = asRecord(document.info);
  const components = asRecord(document.components);
  const operations = Object.entries(asRecord(document.paths)).flatMap(([path, item]) =>
    Object.entries(asRecord(item)).map(([method, op]) => operationSection(path, method, op, components)),
  );
  const schemas = Object.entries(asRecord(components.schemas)).map(([name, s]) =>
    schemaTable(name, asRecord(s)),
  );
  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}pre{background:#f6f6f6;padding:.75rem;overflow:auto}code{font-size:.95em}
</style></head><body>
<h1>${escape(info.title)} <small>(version ${escape(info.version)})</small></h1>
<p>${escape(info.description ?? '')}</p><p>Maskinlæsbar beskrivelse: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(document.openapi)})</p>
<h2>Metoder</h2>${operations.join('\n')}
<h2>Typer</h2>${schemas.join('\n')}
</body></html>
`;
}

/** The AsyncAPI document as served and as checked in (docs/asyncapi.json). */
export function asyncApiText(document: JsonSchema = ASYNCAPI_DOCUMENT): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

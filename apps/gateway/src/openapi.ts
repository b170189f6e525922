import type { OpenAPIObject } from '@nestjs/swagger';
import { request } from 'undici';

const PascalCase = (s: string) => s.replace(/(^|[-_])([a-z])/g, (_m, _p, c: string) => c.toUpperCase());

/**
 * Merges the OpenAPI documents of every service into one. Component schemas are prefixed with
 * the service name (`IdentityEducationDto`), so equal DTO names of two services never collide.
 */
export async function mergedOpenApi(base: OpenAPIObject, services: Record<string, string>): Promise<OpenAPIObject> {
  const merged: OpenAPIObject = {
    ...base,
    paths: { ...base.paths },
    components: { ...base.components, schemas: { ...(base.components?.schemas ?? {}) } },
    tags: [...(base.tags ?? [])],
  };
  const docs = await Promise.all(
    Object.entries(services).map(async ([name, url]) => {
      try {
        const res = await request(`${url}/api/docs-json`, { headersTimeout: 3000 });
        if (res.statusCode !== 200) {
          await res.body.dump();
          return undefined;
        }
        return { name, doc: (await res.body.json()) as OpenAPIObject };
      } catch {
        return undefined;
      }
    }),
  );
  for (const entry of docs) {
    if (!entry) continue;
    const prefix = PascalCase(entry.name);
    const text = JSON.stringify(entry.doc).replace(/"#\/components\/schemas\/([^"]+)"/g, (_m, n: string) => `"#/components/schemas/${prefix}${n}"`);
    const doc = JSON.parse(text) as OpenAPIObject;
    Object.assign(merged.paths, doc.paths);
    for (const [schemaName, schema] of Object.entries(doc.components?.schemas ?? {})) merged.components!.schemas![`${prefix}${schemaName}`] = schema;
    for (const tag of doc.tags ?? []) if (!merged.tags!.some((t) => t.name === tag.name)) merged.tags!.push(tag);
  }
  return merged;
}

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenAPIObject } from '@nestjs/swagger';
import { mergedOpenApi } from './openapi';

const identityDoc = {
  openapi: '3.0.0',
  info: { title: 'identity', version: '1' },
  paths: {
    '/api/v1/identity/accounts': {
      post: {
        tags: ['accounts'],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Foo' } } } },
        responses: { '201': { description: 'created', content: { 'application/json': { schema: { $ref: '#/components/schemas/AccountView' } } } } },
      },
    },
  },
  components: {
    schemas: {
      Foo: {
        type: 'object',
        properties: { username: { type: 'string' }, educations: { type: 'array', items: { $ref: '#/components/schemas/EducationDto' } } },
      },
      EducationDto: { type: 'object', properties: { school: { type: 'string' } } },
      AccountView: { type: 'object', properties: { id: { type: 'string' } } },
    },
  },
  tags: [{ name: 'accounts', description: 'Accounts' }],
};

const examDoc = {
  openapi: '3.0.0',
  info: { title: 'exam', version: '1' },
  paths: {
    '/api/v1/exam/sessions': {
      get: {
        tags: ['sessions'],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Foo' } } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Foo: { type: 'object', properties: { sessionId: { type: 'string' }, seats: { type: 'integer' } } },
    },
  },
  tags: [
    { name: 'accounts', description: 'Exam view of accounts' },
    { name: 'sessions', description: 'Exam sessions' },
  ],
};

const trainingDoc = {
  openapi: '3.0.0',
  info: { title: 'training', version: '1' },
  paths: { '/api/v1/training/filings': { get: { responses: { '200': { $ref: '#/components/schemas/Filing' } } } } },
  components: { schemas: { Filing: { type: 'object' } } },
};

function base(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 'certhub API', version: 'v1' },
    paths: { '/api/v1/health': { get: { responses: { '200': { description: 'up' } } } } },
    components: {
      schemas: { HealthResult: { type: 'object' } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    tags: [{ name: 'gateway' }],
  };
}

let server: Server;
let origin: string;
let closedOrigin: string;
const requested: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const docs: Record<string, unknown> = {
      '/identity/api/docs-json': identityDoc,
      '/exam/api/docs-json': examDoc,
      '/training/api/docs-json': trainingDoc,
    };
    if (req.url === '/broken/api/docs-json') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    } else if (req.url === '/garbage/api/docs-json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
    } else if (req.url && req.url in docs) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(docs[req.url]));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A port nobody listens on: bind one, then close it.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedOrigin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('mergedOpenApi', () => {
  it('fetches /api/docs-json of every service', async () => {
    requested.length = 0;
    await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: `${origin}/exam` });
    assert.deepEqual([...requested].sort(), ['/exam/api/docs-json', '/identity/api/docs-json']);
  });

  it('keeps the base document and adds the paths of both services', async () => {
    const merged = await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: `${origin}/exam` });
    assert.equal(merged.openapi, '3.0.0');
    assert.deepEqual(merged.info, { title: 'certhub API', version: 'v1' });
    assert.deepEqual(Object.keys(merged.paths).sort(), ['/api/v1/exam/sessions', '/api/v1/health', '/api/v1/identity/accounts']);
    assert.deepEqual(merged.components?.securitySchemes, base().components?.securitySchemes);
  });

  it('prefixes the schemas with the service name, so equal names do not collide', async () => {
    const merged = await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: `${origin}/exam` });
    const schemas = merged.components!.schemas!;
    assert.deepEqual(Object.keys(schemas).sort(), ['ExamFoo', 'HealthResult', 'IdentityAccountView', 'IdentityEducationDto', 'IdentityFoo']);
    assert.deepEqual(schemas.ExamFoo, examDoc.components.schemas.Foo);
    assert.deepEqual((schemas.IdentityFoo as { properties: Record<string, unknown> }).properties.username, { type: 'string' });
    assert.equal('Foo' in schemas, false);
  });

  it('rewrites the $refs of paths and schemas to the prefixed names', async () => {
    const merged = await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: `${origin}/exam` });
    const post = merged.paths['/api/v1/identity/accounts']!.post!;
    assert.deepEqual((post.requestBody as { content: Record<string, { schema: unknown }> }).content['application/json']!.schema, {
      $ref: '#/components/schemas/IdentityFoo',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(post.responses['201'])).content['application/json'].schema, {
      $ref: '#/components/schemas/IdentityAccountView',
    });
    const get = merged.paths['/api/v1/exam/sessions']!.get!;
    assert.deepEqual(JSON.parse(JSON.stringify(get.responses['200'])).content['application/json'].schema.items, {
      $ref: '#/components/schemas/ExamFoo',
    });
    const identityFoo = merged.components!.schemas!.IdentityFoo as { properties: { educations: { items: unknown } } };
    assert.deepEqual(identityFoo.properties.educations.items, { $ref: '#/components/schemas/IdentityEducationDto' });
  });

  it('leaves no unprefixed $ref behind', async () => {
    const merged = await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: `${origin}/exam` });
    const refs = [...JSON.stringify(merged).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]).sort();
    assert.deepEqual(refs, [
      '#/components/schemas/ExamFoo',
      '#/components/schemas/IdentityAccountView',
      '#/components/schemas/IdentityEducationDto',
      '#/components/schemas/IdentityFoo',
    ]);
    for (const ref of refs) assert.ok(ref!.slice('#/components/schemas/'.length) in merged.components!.schemas!, ref);
  });

  it('merges the tags without duplicates, first description wins', async () => {
    const merged = await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: `${origin}/exam` });
    const names = merged.tags!.map((t) => t.name).sort();
    assert.deepEqual(names, ['accounts', 'gateway', 'sessions']);
    assert.equal(merged.tags![0]!.name, 'gateway');
    assert.equal(merged.tags!.find((t) => t.name === 'accounts')!.description, 'Accounts');
  });

  it('turns a dashed service name into PascalCase', async () => {
    const merged = await mergedOpenApi(base(), { 'training-center': `${origin}/training` });
    assert.deepEqual(Object.keys(merged.components!.schemas!).sort(), ['HealthResult', 'TrainingCenterFiling']);
    assert.deepEqual(JSON.parse(JSON.stringify(merged.paths['/api/v1/training/filings'])).get.responses['200'], {
      $ref: '#/components/schemas/TrainingCenterFiling',
    });
  });

  it('skips an unreachable service and merges the others', async () => {
    const merged = await mergedOpenApi(base(), { identity: `${origin}/identity`, exam: closedOrigin });
    assert.deepEqual(Object.keys(merged.paths).sort(), ['/api/v1/health', '/api/v1/identity/accounts']);
    assert.deepEqual(Object.keys(merged.components!.schemas!).sort(), ['HealthResult', 'IdentityAccountView', 'IdentityEducationDto', 'IdentityFoo']);
  });

  it('skips a service that answers with an error status or with invalid JSON', async () => {
    const merged = await mergedOpenApi(base(), {
      broken: `${origin}/broken`,
      garbage: `${origin}/garbage`,
      missing: `${origin}/missing`,
      exam: `${origin}/exam`,
    });
    assert.deepEqual(Object.keys(merged.paths).sort(), ['/api/v1/exam/sessions', '/api/v1/health']);
    assert.deepEqual(Object.keys(merged.components!.schemas!).sort(), ['ExamFoo', 'HealthResult']);
  });

  it('returns the base document when no service answers', async () => {
    const merged = await mergedOpenApi(base(), { identity: closedOrigin });
    assert.deepEqual(merged, base());
  });

  it('does not modify the base document', async () => {
    const doc = base();
    await mergedOpenApi(doc, { identity: `${origin}/identity`, exam: `${origin}/exam` });
    assert.deepEqual(doc, base());
  });

  it('works with a base document without components or tags', async () => {
    const merged = await mergedOpenApi({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} }, { exam: `${origin}/exam` });
    assert.deepEqual(Object.keys(merged.components!.schemas!), ['ExamFoo']);
    assert.deepEqual(
      merged.tags!.map((t) => t.name),
      ['accounts', 'sessions'],
    );
  });
});

// ESLint flat config for the whole monorepo (see docs/adr/0003-module-boundaries.md).
//
// `npm run lint` runs `eslint .` once over the repository (CI); `nx run-many -t lint` runs the
// same config per project through the inferred @nx/eslint/plugin targets.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;

// ---------------------------------------------------------------------------------------------
// Project graph freshness
// ---------------------------------------------------------------------------------------------
// @nx/enforce-module-boundaries reads the cached graph in .nx/workspace-data and silently SKIPS
// itself when there is none (fresh CI checkout), or uses a stale one (tags just edited). So a
// plain `eslint .` computes the graph first. Not when Nx runs the lint task (the graph is fresh
// already) and not when the config is loaded by anything else (Nx's eslint plugin loads this
// file while it builds the graph; an editor's language server must stay fast).
const isEslintCli = /[\\/](?:\.bin[\\/]eslint|eslint[\\/]bin[\\/]eslint\.js)$/.test(process.argv[1] ?? '');
if (isEslintCli && !process.env.NX_TASK_TARGET_PROJECT) {
  await createProjectGraphAsync({ exitOnError: false });
}

// ---------------------------------------------------------------------------------------------
// Tags (read from project.json, the single source of truth)
// ---------------------------------------------------------------------------------------------

const LIB_TYPES = ['type:util', 'type:data', 'type:contracts', 'type:testing'];

/**
 * Every project under apps/, libs/, workflows/ must have a project.json with exactly one scope:*
 * and one type:* tag matching its folder. Returns the domain scopes (everything but shared).
 */
function checkTags() {
  const problems = [];
  const domainScopes = new Set();
  for (const folder of ['apps', 'libs', 'workflows']) {
    if (!existsSync(join(ROOT, folder))) continue;
    for (const dir of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const root = `${folder}/${dir.name}`;
      const projectJson = join(ROOT, root, 'project.json');
      if (!existsSync(projectJson)) {
        if (existsSync(join(ROOT, root, 'package.json'))) problems.push(`${root}: has no project.json (tags live there)`);
        continue;
      }
      const tags = JSON.parse(readFileSync(projectJson, 'utf8')).tags ?? [];
      const scopes = tags.filter((t) => t.startsWith('scope:'));
      const types = tags.filter((t) => t.startsWith('type:'));
      if (scopes.length !== 1 || types.length !== 1) {
        problems.push(`${root}: needs exactly one scope:* and one type:* tag, has [${tags.join(', ')}]`);
        continue;
      }
      const [scope, type] = [scopes[0], types[0]];
      if (folder === 'apps') {
        if (type !== 'type:app') problems.push(`${root}: apps/* must be type:app`);
        if (scope === 'scope:shared') problems.push(`${root}: an app cannot be scope:shared`);
        else domainScopes.add(scope);
      } else if (folder === 'libs') {
        if (scope !== 'scope:shared') problems.push(`${root}: libs/* must be scope:shared`);
        if (!LIB_TYPES.includes(type)) problems.push(`${root}: libs/* must be one of ${LIB_TYPES.join('|')}`);
      } else {
        if (type !== 'type:workflow') problems.push(`${root}: workflows/* must be type:workflow`);
        if (scope !== `scope:${dir.name}`) problems.push(`${root}: must be scope:${dir.name}`);
        domainScopes.add(scope);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`Nx project tags are invalid (docs/adr/0003-module-boundaries.md):\n  ${problems.join('\n  ')}`);
  }
  return [...domainScopes].sort();
}

const domainScopes = checkTags();

// ---------------------------------------------------------------------------------------------
// Module boundaries
// ---------------------------------------------------------------------------------------------

/** Packages workflow code (Temporal's deterministic sandbox) must never load at runtime. */
const WORKFLOW_BANNED_PACKAGES = [
  '@temporalio/worker',
  '@temporalio/client',
  '@temporalio/activity',
  '@temporalio/testing',
  'typeorm',
  'pg',
  'kafkajs',
  '@nestjs/*',
];

/**
 * The platform libs workflow code may import values from: deterministic, no Node built-ins, no
 * I/O. Fail-closed: any other @certhub/* lib is type-only in workflow code. A new deterministic
 * util lib is added here (type:util alone is not enough: errors, logging, config and
 * service-kit are type:util but load Nest, async_hooks or process.env).
 */
const WORKFLOW_SAFE_LIBS = ['@certhub/contracts', '@certhub/cn-id', '@certhub/human-tasks'];

/**
 * Workflow contracts one domain publishes for another domain's workflows to call as a child
 * (ADR 0012: the fee payment is a child of the certification application). Only the listed
 * importers may use them; the contract files are sandbox-safe (workflow ids, options, messages).
 */
const CROSS_DOMAIN_WORKFLOW_CONTRACTS = [{ contract: '@certhub/workflows-payment', importers: ['workflows/certification', 'apps/certification'] }];

/** @param {{ tests: boolean }} options tests: the importing file is a test (may use type:testing). */
function depConstraints({ tests }) {
  const testing = tests ? ['type:testing'] : [];
  return [
    // Layering by type.
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: ['type:util', 'type:data', 'type:contracts', 'type:workflow', ...testing],
    },
    // Which packages and which util libs workflow code may load is checked by the
    // no-restricted-imports block for workflow code below (it lets `import type` through;
    // bannedExternalImports here would not).
    { sourceTag: 'type:workflow', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', ...testing] },
    { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:data', 'type:util', 'type:contracts', ...testing] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', ...testing] },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', ...testing] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:util', 'type:data', 'type:contracts'] },
    // Isolation by scope: shared code knows no domain; a domain sees shared code and itself.
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    ...domainScopes.map((scope) => ({ sourceTag: scope, onlyDependOnLibsWithTags: ['scope:shared', scope] })),
  ];
}

function boundaries({ tests, allow = [] }) {
  const constraints = depConstraints({ tests });
  for (const c of constraints) {
    if (c.sourceTag === '*' || c.onlyDependOnLibsWithTags?.includes('*')) {
      throw new Error(`wildcard depConstraint is not allowed: ${JSON.stringify(c)}`);
    }
  }
  return [
    'error',
    {
      allow,
      depConstraints: constraints,
      enforceBuildableLibDependency: false,
      allowCircularSelfDependency: false,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// File groups
// ---------------------------------------------------------------------------------------------

const TS = ['**/*.ts', '**/*.mts', '**/*.cts'];
const JS = ['**/*.js', '**/*.mjs', '**/*.cjs'];
const PROJECT_SOURCES = ['apps/**/*.{ts,mts,cts,js,mjs,cjs}', 'libs/**/*.{ts,mts,cts,js,mjs,cjs}', 'workflows/**/*.{ts,mts,cts,js,mjs,cjs}'];
/** Covered by tsconfig.json, so type-aware rules can run on them. */
const TYPED_SOURCES = ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts', 'workflows/*/src/**/*.ts'];
/** Tests and test-support code (a service's in-process harness lives in src/testing/). */
/** What workflow code may import by value. */
function workflowImportRule(safeLibs) {
  return [
    'error',
    {
      paths: NODE_BUILTINS.map((name) => ({ name, message: WORKFLOW_SANDBOX_MESSAGE, allowTypeImports: true })),
      patterns: [
        { regex: '^node:', message: WORKFLOW_SANDBOX_MESSAGE, allowTypeImports: true },
        { group: WORKFLOW_BANNED_PACKAGES.flatMap((p) => [p, `${p}/**`]), message: WORKFLOW_SANDBOX_MESSAGE, allowTypeImports: true },
        {
          group: ['@certhub/*', '@certhub/*/**', ...safeLibs.map((lib) => `!${lib}`)],
          message: `${WORKFLOW_SANDBOX_MESSAGE} Value imports only from ${safeLibs.join(', ')} (WORKFLOW_SAFE_LIBS in eslint.config.mjs).`,
          allowTypeImports: true,
        },
      ],
    },
  ];
}

const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/src/testing/**/*.ts'];
const WORKFLOW_CODE = ['workflows/*/src/**/*.ts'];

// No focused tests: `describe.only`, `it.only`, `test.only`, `suite.only` and `{ only: true }`.
const TEST_FN = '/^(describe|it|test|suite)$/';
const NO_FOCUSED_TESTS = [
  {
    selector: `MemberExpression[object.name=${TEST_FN}][property.name='only']`,
    message: 'Focused test (.only) - remove it before committing; it silently skips the rest of the suite.',
  },
  {
    selector: `CallExpression:matches([callee.name=${TEST_FN}], [callee.property.name=${TEST_FN}]) > ObjectExpression > Property[key.name='only'][value.value=true]`,
    message: 'Focused test ({ only: true }) - remove it before committing.',
  },
];

const NODE_BUILTINS = [...new Set(builtinModules.filter((m) => !m.startsWith('_')))].sort();
const WORKFLOW_SANDBOX_MESSAGE =
  'Workflow code runs in the deterministic Temporal sandbox: no Node built-ins, I/O clients or service code. Move it to an activity (type-only imports are fine).';

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', '.data/', '.nx/', '**/coverage/', '**/*.d.ts']),

  // Everything: eslint recommended.
  {
    files: [...TS, ...JS],
    extends: [js.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-restricted-syntax': ['error', ...NO_FOCUSED_TESTS],
    },
  },

  // Plain JavaScript (deploy/**/*.mjs, this file): Node ESM scripts.
  {
    files: JS,
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: { ...globals.node } },
  },

  // TypeScript: typescript-eslint recommended.
  {
    files: TS,
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  // Type-aware rules on project sources (one TS program from the root tsconfig.json).
  {
    files: TYPED_SOURCES,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it/test/suite return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'skip', 'todo'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },

  // Module boundaries (production code).
  {
    files: PROJECT_SOURCES,
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries({ tests: false }) },
  },

  // Workflow code: Temporal's sandbox. Type-only imports stay allowed so contract files can
  // reference types. Workflow tests run in plain Node and are not restricted here.
  {
    files: WORKFLOW_CODE,
    ignores: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: false }),
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': workflowImportRule(WORKFLOW_SAFE_LIBS),
      'no-restricted-syntax': [
        'error',
        ...NO_FOCUSED_TESTS,
        { selector: 'ImportExpression', message: `${WORKFLOW_SANDBOX_MESSAGE} (no dynamic import)` },
        { selector: "CallExpression[callee.name='require']", message: `${WORKFLOW_SANDBOX_MESSAGE} (no require)` },
      ],
    },
  },

  // Tests may use the type:testing libs (and, in workflow projects, the worker/test packages).
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': boundaries({ tests: true }) },
  },

  // Published cross-domain workflow contracts, for their listed importers only.
  ...CROSS_DOMAIN_WORKFLOW_CONTRACTS.flatMap(({ contract, importers }) => [
    { files: importers.map((root) => `${root}/src/**/*.ts`), ignores: TEST_FILES, rules: { '@nx/enforce-module-boundaries': boundaries({ tests: false, allow: [contract] }) } },
    { files: importers.flatMap((root) => TEST_FILES.map((t) => `${root}/${t}`)), rules: { '@nx/enforce-module-boundaries': boundaries({ tests: true, allow: [contract] }) } },
    {
      files: importers.filter((root) => root.startsWith('workflows/')).map((root) => `${root}/src/**/*.ts`),
      ignores: TEST_FILES,
      rules: { '@typescript-eslint/no-restricted-imports': workflowImportRule([...WORKFLOW_SAFE_LIBS, contract]) },
    },
  ]),

  // Services log through @certhub/logging, never the console (tests and benchmarks may).
  {
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: [...TEST_FILES, '**/bench/**'],
    rules: { 'no-console': 'error' },
  },
);

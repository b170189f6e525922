import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** Where the real engines started by `npm test` are; a clear error when run some other way. */
export interface TestEnvironment {
  databaseUrl: string;
  kafkaBrokers: string[];
  temporalAddress: string;
  temporalNamespace: string;
  temporalTestServer: string;
  jwtSecret: string;
  repoRoot: string;
}

export function testEnvironment(): TestEnvironment {
  const need = (key: string): string => {
    const value = process.env[key];
    if (!value) throw new Error(`${key} is not set: run the tests with \`npm test\`, which starts PostgreSQL, Kafka and Temporal`);
    return value;
  };
  return {
    databaseUrl: need('CERTHUB_TEST_DATABASE_URL'),
    kafkaBrokers: need('CERTHUB_TEST_KAFKA_BROKERS').split(','),
    temporalAddress: need('CERTHUB_TEST_TEMPORAL_ADDRESS'),
    temporalNamespace: process.env.CERTHUB_TEST_TEMPORAL_NAMESPACE ?? 'certhub-test',
    temporalTestServer: need('CERTHUB_TEST_TEMPORAL_TEST_SERVER'),
    jwtSecret: need('CERTHUB_TEST_JWT_SECRET'),
    repoRoot: need('CERTHUB_REPO_ROOT'),
  };
}

/** Environment variables of a service under test, pointing at the test engines. */
export function serviceTestEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = testEnvironment();
  return {
    CERTHUB_PROFILE: 'test',
    LOG_LEVEL: process.env.CERTHUB_TEST_LOG_LEVEL ?? 'error',
    DATABASE_URL: env.databaseUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    KAFKA_GROUP_SUFFIX: '.test',
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_NAMESPACE: env.temporalNamespace,
    CERTHUB_JWT_SECRET: env.jwtSecret,
    WORKFLOW_BUNDLE_DIR: `${env.repoRoot}/dist/workflow-bundles`,
    ...overrides,
  };
}

/** Unique test data so tests never collide with each other or with earlier runs. */
export const unique = {
  /** A mainland mobile number that is very unlikely to repeat (199 + 8 random digits). */
  phone(): string {
    return `199${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  },
  username(prefix = 'u'): string {
    return `${prefix}${randomBytes(6).toString('hex')}`;
  },
  email(): string {
    return `${randomBytes(6).toString('hex')}@test.certhub.local`;
  },
  id(): string {
    return randomUUID();
  },
  /** A birth date between 1960 and 1999 and a sequence, for unique resident ID numbers. */
  birth(): { birthDate: string; sequence: number } {
    const y = 1960 + randomInt(0, 40);
    const m = String(1 + randomInt(0, 12)).padStart(2, '0');
    const d = String(1 + randomInt(0, 28)).padStart(2, '0');
    return { birthDate: `${y}-${m}-${d}`, sequence: randomInt(0, 1000) };
  },
};

export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

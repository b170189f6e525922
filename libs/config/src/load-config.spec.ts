import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { ConfigError, loadConfig } from './load-config';
import { PlatformConfig, PROFILES } from './platform-config';

const SECRET = 'k'.repeat(32);
const REQUIRED = { DATABASE_URL: 'postgres://certhub:pw@127.0.0.1:5432/certhub', CERTHUB_JWT_SECRET: SECRET };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('the configuration was accepted');
}

describe('loadConfig(PlatformConfig): defaults', () => {
  it('applies every default when only the required variables are set', () => {
    const config = loadConfig(PlatformConfig, { ...REQUIRED });
    assert.ok(config instanceof PlatformConfig);
    assert.deepEqual(
      { ...config },
      {
        CERTHUB_PROFILE: 'production',
        LOG_LEVEL: 'info',
        DATABASE_URL: 'postgres://certhub:pw@127.0.0.1:5432/certhub',
        KAFKA_BROKERS: ['127.0.0.1:9092'],
        KAFKA_GROUP_SUFFIX: '',
        TEMPORAL_ADDRESS: '127.0.0.1:7233',
        TEMPORAL_NAMESPACE: 'default',
        CERTHUB_JWT_SECRET: SECRET,
        HOST: '127.0.0.1',
        PORT: 0,
        RUN_WORKER: 'true',
        WORKFLOW_BUNDLE_DIR: undefined,
      },
    );
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(PlatformConfig, { ...REQUIRED, LOG_LEVEL: '', PORT: '', KAFKA_BROKERS: '', CERTHUB_PROFILE: '' });
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.PORT, 0);
    assert.deepEqual(config.KAFKA_BROKERS, ['127.0.0.1:9092']);
    assert.equal(config.CERTHUB_PROFILE, 'production');
  });

  it('ignores undefined entries of the environment', () => {
    const config = loadConfig(PlatformConfig, { ...REQUIRED, HOST: undefined });
    assert.equal(config.HOST, '127.0.0.1');
  });
});

describe('loadConfig(PlatformConfig): conversions', () => {
  it('converts numbers from strings', () => {
    const config = loadConfig(PlatformConfig, { ...REQUIRED, PORT: '3101' });
    assert.equal(config.PORT, 3101);
    assert.equal(typeof config.PORT, 'number');
  });

  it('splits KAFKA_BROKERS on commas, trimming and dropping empty items', () => {
    assert.deepEqual(loadConfig(PlatformConfig, { ...REQUIRED, KAFKA_BROKERS: '10.0.0.1:9092' }).KAFKA_BROKERS, ['10.0.0.1:9092']);
    assert.deepEqual(
      loadConfig(PlatformConfig, { ...REQUIRED, KAFKA_BROKERS: ' 10.0.0.1:9092, 10.0.0.2:9092 ,,10.0.0.3:9092,' }).KAFKA_BROKERS,
      ['10.0.0.1:9092', '10.0.0.2:9092', '10.0.0.3:9092'],
    );
  });

  it('takes the other settings as given', () => {
    const config = loadConfig(PlatformConfig, {
      ...REQUIRED,
      CERTHUB_PROFILE: 'dev',
      LOG_LEVEL: 'debug',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'certhub',
      HOST: '0.0.0.0',
      RUN_WORKER: 'false',
      WORKFLOW_BUNDLE_DIR: '/opt/bundles',
    });
    assert.equal(config.CERTHUB_PROFILE, 'dev');
    assert.equal(config.LOG_LEVEL, 'debug');
    assert.equal(config.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(config.TEMPORAL_NAMESPACE, 'certhub');
    assert.equal(config.HOST, '0.0.0.0');
    assert.equal(config.RUN_WORKER, 'false');
    assert.equal(config.WORKFLOW_BUNDLE_DIR, '/opt/bundles');
  });

  it('does not copy unrelated environment variables onto the config', () => {
    const config = loadConfig(PlatformConfig, { ...REQUIRED, PATH: '/usr/bin', HOME: '/root', AWS_SECRET_ACCESS_KEY: 'leak', npm_config_cache: '/tmp' });
    const keys = Object.keys(config);
    for (const name of ['PATH', 'HOME', 'AWS_SECRET_ACCESS_KEY', 'npm_config_cache']) assert.equal(keys.includes(name), false, name);
    assert.equal((config as unknown as Record<string, unknown>).AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(keys.length, 12);
  });

  it('does not let an environment variable shadow a method or getter', () => {
    const config = loadConfig(PlatformConfig, { ...REQUIRED, CERTHUB_PROFILE: 'production', sandboxEnabled: 'true', toString: 'x' });
    assert.equal(config.sandboxEnabled, false);
    assert.equal(typeof config.toString, 'function');
  });
});

describe('loadConfig(PlatformConfig): refusals name the variable', () => {
  it('missing DATABASE_URL', () => {
    const err = configError(() => loadConfig(PlatformConfig, { CERTHUB_JWT_SECRET: SECRET }));
    assert.equal(err.name, 'ConfigError');
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^DATABASE_URL: /);
    assert.ok(err.message.startsWith('invalid configuration:\n  DATABASE_URL: '), err.message);
  });

  it('empty DATABASE_URL counts as missing', () => {
    const err = configError(() => loadConfig(PlatformConfig, { ...REQUIRED, DATABASE_URL: '' }));
    assert.match(err.problems[0]!, /^DATABASE_URL: .*should not be empty/);
  });

  it('CERTHUB_JWT_SECRET shorter than 32 characters', () => {
    const err = configError(() => loadConfig(PlatformConfig, { ...REQUIRED, CERTHUB_JWT_SECRET: 'k'.repeat(31) }));
    assert.deepEqual(err.problems, ['CERTHUB_JWT_SECRET: CERTHUB_JWT_SECRET must be longer than or equal to 32 characters']);
  });

  it('missing CERTHUB_JWT_SECRET', () => {
    const err = configError(() => loadConfig(PlatformConfig, { DATABASE_URL: REQUIRED.DATABASE_URL }));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^CERTHUB_JWT_SECRET: /);
  });

  it('an unknown profile', () => {
    const err = configError(() => loadConfig(PlatformConfig, { ...REQUIRED, CERTHUB_PROFILE: 'staging' }));
    assert.deepEqual(err.problems, ['CERTHUB_PROFILE: CERTHUB_PROFILE must be one of the following values: embedded, dev, test, production']);
  });

  it('an unknown log level and a RUN_WORKER other than true/false', () => {
    assert.match(configError(() => loadConfig(PlatformConfig, { ...REQUIRED, LOG_LEVEL: 'trace' })).problems[0]!, /^LOG_LEVEL: /);
    assert.match(configError(() => loadConfig(PlatformConfig, { ...REQUIRED, RUN_WORKER: 'yes' })).problems[0]!, /^RUN_WORKER: /);
  });

  it('a PORT that is not an integer between 0 and 65535', () => {
    for (const port of ['abc', '80.5', '65536', '-1']) {
      const err = configError(() => loadConfig(PlatformConfig, { ...REQUIRED, PORT: port }));
      assert.equal(err.problems.length, 1, port);
      assert.match(err.problems[0]!, /^PORT: /, port);
    }
  });

  it('lists every problem at once', () => {
    const err = configError(() => loadConfig(PlatformConfig, { CERTHUB_PROFILE: 'qa', PORT: 'x' }));
    assert.deepEqual(
      err.problems.map((p) => p.split(':')[0]),
      ['CERTHUB_PROFILE', 'DATABASE_URL', 'CERTHUB_JWT_SECRET', 'PORT'],
    );
  });
});

describe('PlatformConfig.sandboxEnabled', () => {
  it('is false only in production', () => {
    const enabled = Object.fromEntries(PROFILES.map((p) => [p, loadConfig(PlatformConfig, { ...REQUIRED, CERTHUB_PROFILE: p }).sandboxEnabled]));
    assert.deepEqual(enabled, { embedded: true, dev: true, test: true, production: false });
  });

  it('is false by default (the default profile is production)', () => {
    assert.equal(loadConfig(PlatformConfig, { ...REQUIRED }).sandboxEnabled, false);
  });
});

class ServiceConfig extends PlatformConfig {
  override PORT: number = 3101;

  @IsInt()
  @Min(1)
  SMS_DAILY_LIMIT: number = 10;

  @IsOptional()
  @IsString()
  SMS_PROVIDER_URL?: string;
}

describe('loadConfig with a service config extending PlatformConfig', () => {
  it('uses the subclass defaults and converts its own numbers', () => {
    const config = loadConfig(ServiceConfig, { ...REQUIRED, SMS_DAILY_LIMIT: '5' });
    assert.ok(config instanceof ServiceConfig);
    assert.equal(config.PORT, 3101);
    assert.equal(config.SMS_DAILY_LIMIT, 5);
    assert.equal(config.SMS_PROVIDER_URL, undefined);
    assert.deepEqual(config.KAFKA_BROKERS, ['127.0.0.1:9092']);
  });

  it('validates the subclass settings with the platform ones', () => {
    const err = configError(() => loadConfig(ServiceConfig, { ...REQUIRED, SMS_DAILY_LIMIT: '0' }));
    assert.deepEqual(err.problems, ['SMS_DAILY_LIMIT: SMS_DAILY_LIMIT must not be less than 1']);
  });
});

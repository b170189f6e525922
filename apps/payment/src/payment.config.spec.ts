import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@certhub/config';
import { PaymentConfig } from './payment.config';

const REQUIRED = { DATABASE_URL: 'postgres://certhub:pw@127.0.0.1:5432/certhub', CERTHUB_JWT_SECRET: 'k'.repeat(32) };

describe('PaymentConfig', () => {
  it('defaults: port 3103, 5-minute notification window, 1-minute pending threshold', () => {
    const config = loadConfig(PaymentConfig, { ...REQUIRED, CERTHUB_PROFILE: 'embedded', PAYMENT_SANDBOX_NOTIFY_SECRET: 's'.repeat(40) });
    assert.equal(config.PORT, 3103);
    assert.equal(config.PAYMENT_NOTIFY_WINDOW_SECONDS, 300);
    assert.equal(config.PAYMENT_RECONCILE_PENDING_AFTER_SECONDS, 60);
    assert.equal(config.notifySecret, 's'.repeat(40));
  });

  it('requires the notification secret in production', () => {
    assert.throws(() => loadConfig(PaymentConfig, { ...REQUIRED, CERTHUB_PROFILE: 'production' }), (err: unknown) => err instanceof ConfigError && /PAYMENT_SANDBOX_NOTIFY_SECRET/.test(err.message));
  });

  it('refuses a short secret in any profile', () => {
    assert.throws(() => loadConfig(PaymentConfig, { ...REQUIRED, CERTHUB_PROFILE: 'test', PAYMENT_SANDBOX_NOTIFY_SECRET: 'short' }), ConfigError);
  });

  it('outside production a missing secret is generated once for the process', () => {
    const config = loadConfig(PaymentConfig, { ...REQUIRED, CERTHUB_PROFILE: 'test' });
    const secret = config.notifySecret;
    assert.ok(secret.length >= 32);
    assert.equal(config.notifySecret, secret);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serviceFor } from './routes';

describe('serviceFor', () => {
  it('routes each service prefix to its service', () => {
    assert.equal(serviceFor('/api/v1/identity/accounts'), 'identity');
    assert.equal(serviceFor('/api/v1/identity/sessions/refresh'), 'identity');
    assert.equal(serviceFor('/api/v1/exam/sessions'), 'exam');
    assert.equal(serviceFor('/api/v1/payment/orders/1'), 'payment');
    assert.equal(serviceFor('/api/v1/certification/auditors'), 'certification');
    assert.equal(serviceFor('/api/v1/certification/attachments'), 'certification');
    assert.equal(serviceFor('/api/v1/certification/attachments/8f0e6b1e-3c1a-4a53-9a43-1d3b8f0c2a11'), 'certification');
    assert.equal(serviceFor('/api/v1/training/filings'), 'training');
    assert.equal(serviceFor('/api/v1/workbench/tasks'), 'workbench');
  });

  it('routes the sandbox to identity', () => {
    assert.equal(serviceFor('/api/v1/sandbox/sms'), 'identity');
    assert.equal(serviceFor('/api/v1/sandbox/id-check/results'), 'identity');
  });

  it('routes the payment sandbox to payment', () => {
    assert.equal(serviceFor('/api/v1/sandbox/payments'), 'payment');
    assert.equal(serviceFor('/api/v1/sandbox/payments/abc/confirm'), 'payment');
  });

  it('keeps the query string out of the decision', () => {
    assert.equal(serviceFor('/api/v1/identity/accounts?page=2'), 'identity');
  });

  it('returns undefined for unknown paths', () => {
    assert.equal(serviceFor('/api/v1/unknown/x'), undefined);
    assert.equal(serviceFor('/api/v2/identity/accounts'), undefined);
    assert.equal(serviceFor('/identity/accounts'), undefined);
    assert.equal(serviceFor('/'), undefined);
    assert.equal(serviceFor(''), undefined);
  });

  it('needs the slash after the service name', () => {
    assert.equal(serviceFor('/api/v1/identity'), undefined);
    assert.equal(serviceFor('/api/v1/identityx/a'), undefined);
    assert.equal(serviceFor('/api/v1/sandbox'), undefined);
  });

  it('is case-sensitive', () => {
    assert.equal(serviceFor('/API/V1/identity/accounts'), undefined);
    assert.equal(serviceFor('/api/v1/Identity/accounts'), undefined);
  });
});

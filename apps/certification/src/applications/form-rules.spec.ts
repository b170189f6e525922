import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainException } from '@certhub/errors';
import { formFromDto } from './form-rules';

function refusal(fn: () => unknown): DomainException {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainException);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('application form: choices that belong together (CE-1)', () => {
  it('stores every field, absent ones as null; the specialty trimmed and the institution id lower-cased', () => {
    assert.deepEqual(formFromDto({ applicationType: 'system-auditor', specialty: '  QMS建工 ', institutionId: '0B0C6A4E-35B5-4BB4-9A43-3A8A3F0E7F11' }), {
      applicationType: 'system-auditor', grade: null, field: null, kind: null, specialty: 'QMS建工', narrowScope: null, paymentBy: null,
      institutionId: '0b0c6a4e-35b5-4bb4-9a43-3a8a3f0e7f11',
    });
    assert.equal(formFromDto({ specialty: '   ' }).specialty, null);
  });

  it('a grade or field needs its application type first', () => {
    for (const dto of [{ grade: 'trainee' }, { field: 'QMS' }]) {
      const err = refusal(() => formFromDto(dto));
      assert.deepEqual([err.code, err.status, err.field], ['CERT_TYPE_REQUIRED', 400, 'applicationType']);
    }
  });

  it('the field must be one of the type\'s fields', () => {
    const err = refusal(() => formFromDto({ applicationType: 'product-inspector', field: 'QMS' }));
    assert.deepEqual([err.code, err.field], ['CERT_FIELD_UNKNOWN', 'field']);
    assert.doesNotThrow(() => formFromDto({ applicationType: 'product-inspector', field: 'ORGANIC' }));
  });

  it('an upgrade is not to the trainee grade', () => {
    const err = refusal(() => formFromDto({ applicationType: 'system-auditor', grade: 'trainee', kind: 'upgrade' }));
    assert.deepEqual([err.code, err.field], ['CERT_KIND_GRADE_MISMATCH', 'grade']);
    assert.doesNotThrow(() => formFromDto({ applicationType: 'system-auditor', grade: 'trainee', kind: 'field-conversion' }));
  });
});

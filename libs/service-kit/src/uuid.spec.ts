import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUuid } from './uuid';

describe('isUuid', () => {
  it('takes UUIDs in either case and nothing else of their length or alphabet', () => {
    assert.equal(isUuid('3f1e2d3c-4b5a-4697-8877-665544332211'), true);
    assert.equal(isUuid('3F1E2D3C-4B5A-4697-8877-665544332211'), true);
    for (const bad of ['', 'a'.repeat(36), '-'.repeat(36), '3f1e2d3c4b5a46978877665544332211', '3f1e2d3c-4b5a-4697-8877-66554433221g', ' 3f1e2d3c-4b5a-4697-8877-665544332211']) {
      assert.equal(isUuid(bad), false, JSON.stringify(bad));
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLongPoll } from './proxy';

describe('long polls go over connections of their own', () => {
  it('a request with ?wait=N (N > 0) is a long poll; without it, or with wait=0, it is not', () => {
    assert.equal(isLongPoll('/api/v1/workbench/tasks/next?wait=20'), true);
    assert.equal(isLongPoll('/api/v1/workbench/tasks/next?type=a&wait=5'), true);
    assert.equal(isLongPoll('/api/v1/workbench/tasks/next'), false);
    assert.equal(isLongPoll('/api/v1/workbench/tasks/next?wait=0'), false);
    assert.equal(isLongPoll('/api/v1/workbench/tasks/next?wait=abc'), false);
    assert.equal(isLongPoll('/api/v1/workbench/tasks?waiting=1'), false);
  });
});

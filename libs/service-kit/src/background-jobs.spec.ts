import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobs } from './background-jobs';

const quiet = { warn: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BackgroundJobs', () => {
  it('loop: runs again while the job reports more, never two runs at once, woken once for a burst', async () => {
    const jobs = new BackgroundJobs(quiet);
    let runs = 0;
    let concurrent = 0;
    let most = 0;
    let more = 3;
    const wake = jobs.loop('test', 60_000, async () => {
      runs += 1;
      concurrent += 1;
      most = Math.max(most, concurrent);
      await sleep(5);
      concurrent -= 1;
      return --more > 0;
    }, { wakeDelayMs: 10 });
    wake();
    wake();
    wake();
    await sleep(80);
    assert.equal(runs, 3, 'one wake-up for the burst, then again while more (3, 2, 1)');
    assert.equal(most, 1);
    await jobs.stop();
  });

  it('loop: runNow runs at once; a failure is logged and the next wake-up runs it again', async () => {
    const warned: string[] = [];
    const jobs = new BackgroundJobs({ warn: (m) => warned.push(m) });
    let runs = 0;
    const wake = jobs.loop('starter', 60_000, async () => {
      runs += 1;
      if (runs === 1) throw new Error('down');
      return false;
    }, { wakeDelayMs: 5, runNow: true });
    await sleep(20);
    assert.equal(runs, 1);
    assert.deepEqual(warned, ['starter failed; retried later']);
    wake();
    await sleep(30);
    assert.equal(runs, 2);
    await jobs.stop();
  });

  it('every: skips a tick while the job still runs; stop waits for the run in progress and nothing runs after', async () => {
    const jobs = new BackgroundJobs(quiet);
    let runs = 0;
    let finished = false;
    jobs.every('slow', 5, async () => {
      runs += 1;
      await sleep(40);
      finished = true;
    });
    await sleep(25);
    assert.equal(runs, 1, 'ticks during the run are skipped');
    await jobs.stop();
    assert.equal(finished, true, 'stop waited for the run');
    await sleep(30);
    assert.equal(runs, 1, 'no run after stop');
  });
});

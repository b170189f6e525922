import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { installWorkerRuntime } from '@certhub/temporal';

/**
 * Saves a workflow's history as `<dir>/<name>.json` when the tests run with
 * `CERTHUB_RECORD_HISTORIES=1` (otherwise nothing): the recorded histories are replayed by
 * `replayRecordedHistories` in every later run, so a change that breaks a running case fails CI.
 * An existing file is kept: it stands for the cases started by the code that recorded it.
 */
export async function recordHistory(client: Client, dir: string, name: string, workflowId: string): Promise<void> {
  if (process.env.CERTHUB_RECORD_HISTORIES !== '1' || existsSync(join(dir, `${name}.json`))) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(temporal.api.history.v1.History.fromObject(history))), null, 1)}\n`);
}

/**
 * Replays every history recorded in `dir` against the workflow bundle; fails when fewer than
 * `minimum` are there or one is not deterministic. With `workflowIdOf` the replay runs under the
 * recorded workflow id, derived from the workflow's first argument (task keys contain it).
 */
export async function replayRecordedHistories(options: {
  dir: string;
  bundlePath: string;
  minimum: number;
  /** The test filter that records them, for the message when they are missing. */
  recordedBy: string;
  workflowIdOf?: (input: Record<string, unknown>) => string;
}): Promise<number> {
  const files = existsSync(options.dir) ? readdirSync(options.dir).filter((f) => f.endsWith('.json')) : [];
  assert.ok(files.length >= options.minimum, `expected recorded histories in ${options.dir}; record them with CERTHUB_RECORD_HISTORIES=1 npm test -- ${options.recordedBy}`);
  installWorkerRuntime('ERROR');
  for (const file of files) {
    const history = historyFromJSON(JSON.parse(readFileSync(join(options.dir, file), 'utf8')));
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(payload ?? []).toString('utf8')) as Record<string, unknown>;
    await Worker.runReplayHistory({ workflowBundle: { codePath: options.bundlePath } }, history, options.workflowIdOf?.(input));
  }
  return files.length;
}

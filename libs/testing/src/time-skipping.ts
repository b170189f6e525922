import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { installWorkerRuntime, PLATFORM_SEARCH_ATTRIBUTES } from '@certhub/temporal';
import { testEnvironment } from './test-env';

/**
 * A fresh time-skipping test server (the binary `npm test` provides; nothing is downloaded) with
 * the platform's search attributes registered as the embedded dev server registers them at start.
 * One per test: its clock starts at today, whatever an earlier test skipped.
 */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  installWorkerRuntime('ERROR');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testEnvironment().temporalTestServer } },
  });
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(PLATFORM_SEARCH_ATTRIBUTES).map((k) => [k, keyword])),
  });
  return env;
}

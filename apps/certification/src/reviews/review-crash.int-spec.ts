import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signAccessToken } from '@certhub/service-kit';
import { eventually, startServiceProcess, testEnvironment, unique, type ServiceProcess } from '@certhub/testing';
import { IdentityStub } from '../testing/certification-harness';
import { InboxClient } from '../testing/inbox';

/**
 * Nothing is lost when the certification service dies in the middle of a case: the service runs
 * as its own process (its worker inside), is killed with SIGKILL between two reviews, and a new
 * process takes the case on where it stopped. Workbench, Temporal, PostgreSQL and Kafka are real.
 */
describe('a review case survives the certification service being killed (CE-7)', () => {
  let identity: IdentityStub;
  let workbench: ServiceProcess;
  let inbox: InboxClient;
  const running: ServiceProcess[] = [];

  before(async () => {
    identity = await IdentityStub.start();
    workbench = await startServiceProcess('workbench');
    inbox = new InboxClient(workbench.url);
  });
  after(async () => {
    for (const p of running) await p.stop();
    await workbench?.stop();
    await identity?.stop();
  });

  const token = (accountType: 'personal' | 'staff', roles: string[]) =>
    signAccessToken({ sub: randomUUID(), username: unique.username('k'), accountType, roles, institutionId: null, sid: randomUUID() }, testEnvironment().jwtSecret, 3600);

  async function certification(): Promise<ServiceProcess> {
    const p = await startServiceProcess('certification', { IDENTITY_SERVICE_URL: identity.url });
    running.push(p);
    return p;
  }

  it('accepted before the kill, handled after the restart, decided once with every step kept', async () => {
    const applicant = token('personal', ['personal']);
    const staff = token('staff', ['staff']);
    const first = await certification();
    const opened = await fetch(`${first.url}/api/v1/certification/complaints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${applicant}`, 'content-type': 'application/json' },
      body: JSON.stringify({ respondent: '某认证公司', subject: '证书造假', content: '冒用他人审核员证书' }),
    });
    assert.equal(opened.status, 201);
    const { id } = (await opened.json()) as { id: string };
    await inbox.act(staff, await inbox.task(staff, id, 'association-acceptance', 1), 'accept', null);
    // Once the acceptance is recorded, the service dies without any chance to clean up.
    await eventually(
      async () => {
        const v = await fetch(`${first.url}/api/v1/certification/cases/${id}`, { headers: { authorization: `Bearer ${applicant}` } });
        return ((await v.json()) as { stage: string }).stage === 'handling';
      },
      { what: 'acceptance recorded', timeoutMs: 30_000 },
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await certification();
    await inbox.act(staff, await inbox.task(staff, id, 'handling', 1), 'handled', '已移交执法部门');
    const decided = await eventually(
      async () => {
        const v = await fetch(`${second.url}/api/v1/certification/cases/${id}`, { headers: { authorization: `Bearer ${applicant}` } });
        const body = (await v.json()) as { status: string; result: string; history: Array<{ action: string }> };
        return body.status === 'decided' ? body : undefined;
      },
      { what: 'decided after the restart', timeoutMs: 60_000 },
    );
    assert.equal(decided.result, 'handled');
    assert.deepEqual(
      decided.history.map((h) => h.action),
      ['submitted', 'association-acceptance:accept', 'decided'],
    );
  });
});

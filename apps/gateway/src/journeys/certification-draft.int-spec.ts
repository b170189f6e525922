/**
 * A registration application's draft (CE-1, CE-2) through the gateway, with identity,
 * certification and workbench each running as its own process as the embedded default runs
 * them, on the real engines: the basic info library is read from the real identity service, and
 * the draft reaches my items through Kafka and the workbench's projection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startServiceProcess } from '@certhub/testing';
import { Journey, type Answer, type CallOptions, type Json } from '../testing/journey-kit';

describe('journey: a registration application draft with records from the basic info library, in my items (CE-1, CE-2, ID-11, WB-3)', () => {
  let j: Journey;
  const call = (method: string, path: string, options?: CallOptions) => j.call(method, path, options);
  /** A person registered with an education record (ID-1) and logged in. */
  const person = () => j.person({ realName: '王芳' });
  const certificationBody = async () => (await j.certificationBody()).id;

  before(async () => {
    // The workbench first: its projection is in its consumer group before the first case event.
    const workbench = await startServiceProcess('workbench', { RUN_WORKER: 'false' });
    const identity = await startServiceProcess('identity', { RUN_WORKER: 'false', PASSWORD_HASH_COST: '12' });
    const certification = await startServiceProcess('certification', { IDENTITY_SERVICE_URL: identity.url });
    j = await Journey.start([workbench, identity, certification]);
  });

  after(async () => {
    await j?.stop();
  });

  it('checks the conditions, starts a draft, copies library records, and finds the draft in my items under drafts', async () => {
    const me = await person();
    const work = await call('POST', '/api/v1/identity/me/records/work', {
      token: me.token,
      body: { employer: '某制造有限公司', position: '质量工程师', startDate: '2012-08-01', duties: '质量检验' },
    });
    assert.equal(work.status, 201, JSON.stringify(work.body));
    const professional = await call('POST', '/api/v1/identity/me/records/professional-work', {
      token: me.token,
      body: { organisation: '某制造有限公司', field: '质量管理', startDate: '2014-01-01', endDate: '2020-12-31', content: '质量管理体系内审' },
    });
    assert.equal(professional.status, 201, JSON.stringify(professional.body));
    const profile = await call('GET', '/api/v1/identity/me', { token: me.token });
    const educationId = (profile.body.educations as Json[])[0]!.id as string;
    const institutionId = await certificationBody();

    const conditions = await call('GET', '/api/v1/certification/conditions?applicationType=system-auditor&grade=trainee&field=QMS&kind=new', { token: me.token });
    assert.equal(conditions.status, 200, JSON.stringify(conditions.body));
    const status = Object.fromEntries((conditions.body.conditions as Json[]).map((c) => [c.code, c.status]));
    assert.equal(status.education, 'met');
    assert.equal(status['work-experience'], 'met');
    assert.equal(status['professional-work-experience'], 'met');
    assert.equal(status['photo-accepted'], 'missing');
    assert.equal(status['exam-passed'], 'manual');

    const created = await call('POST', '/api/v1/certification/applications', { token: me.token, body: { applicationType: 'system-auditor', grade: 'trainee', field: 'QMS', kind: 'new' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, businessNo } = created.body as { id: string; businessNo: string };
    const form = await call('PUT', `/api/v1/certification/applications/${id}`, {
      token: me.token,
      body: { applicationType: 'system-auditor', grade: 'trainee', field: 'QMS', kind: 'new', narrowScope: false, paymentBy: 'institution', institutionId },
    });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    assert.equal(form.body.form.institution.id, institutionId);

    const copied = await call('POST', `/api/v1/certification/applications/${id}/records/from-library`, {
      token: me.token,
      body: {
        items: [
          { kind: 'education', libraryRecordId: educationId },
          { kind: 'work', libraryRecordId: work.body.id },
          { kind: 'professional-work', libraryRecordId: professional.body.id },
        ],
      },
    });
    assert.equal(copied.status, 201, JSON.stringify(copied.body));
    const view = await call('GET', `/api/v1/certification/applications/${id}`, { token: me.token });
    assert.equal(view.status, 200);
    assert.equal(view.body.records.education[0].school, '北京理工大学');
    assert.equal(view.body.records.work[0].duties, '质量检验');
    assert.equal(view.body.records['professional-work'][0].post, '质量管理');
    assert.deepEqual(
      (view.body.readiness.missing as Json[]).map((m) => m.field),
      [
        'records.professional-work[0].position',
        'records.professional-work[0].refereeName',
        'records.professional-work[0].refereePhone',
        'records.work[0].refereeName',
        'records.work[0].refereePhone',
      ],
      'what the library does not hold is named',
    );
    // Someone else sees nothing of it.
    const other = await person();
    assert.equal((await call('GET', `/api/v1/certification/applications/${id}`, { token: other.token })).status, 404);

    let items!: Answer;
    await eventually(
      async () => {
        items = await call('GET', '/api/v1/workbench/items?tab=draft', { token: me.token });
        return (items.body.items as Json[] | undefined)?.some((i) => i.businessNo === businessNo);
      },
      { timeoutMs: 60_000, intervalMs: 300, what: 'the draft in my items' },
    );
    const item = (items.body.items as Json[]).find((i) => i.businessNo === businessNo)!;
    assert.deepEqual(
      [item.domain, item.caseId, item.itemName, item.stageName, item.status, item.link],
      ['certification', id, '人员注册申请（体系认证审核员：QMS）', '草稿箱', 'draft', `/api/v1/certification/applications/${id}`],
    );
    assert.ok(items.body.counts.draft >= 1);
  });

  it('lists certification in the health check and its paths (applications, review cases, certificates) in the merged OpenAPI document', async () => {
    const health = await call('GET', '/api/v1/health');
    assert.equal(health.body.services.certification.status, 'up', JSON.stringify(health.body));
    const docs = await call('GET', '/api/docs-json');
    assert.ok(docs.body.paths['/api/v1/certification/applications'], Object.keys(docs.body.paths).join(', '));
    assert.ok(docs.body.paths['/api/v1/certification/applications/{id}/records/from-library']);
    for (const path of ['/api/v1/certification/transfers', '/api/v1/certification/cases/{id}', '/api/v1/certification/certificates/query']) assert.ok(docs.body.paths[path], path);
    assert.ok(docs.body.components.schemas.CertificationApplicationFormDto);
    assert.ok(docs.body.components.schemas.CertificationAuditRecordDto.properties.onSiteDays, 'the record schemas are documented');
  });
});

import { Injectable } from '@nestjs/common';
import { IdentityClient } from '../library/identity-client';
import type { ApplicationKind, ApplicationType, Grade } from './application-catalogue';
import type { ConditionQueryDto } from './application.dtos';
import { evaluateConditions, type ConditionTarget } from './conditions';
import { formFromDto } from './form-rules';
import { chinaToday } from './records';

/** 条件自检: the registration conditions against the caller's profile and basic info library. */
@Injectable()
export class ConditionService {
  constructor(private readonly identity: IdentityClient) {}

  async check(query: ConditionQueryDto, authorization: string | undefined) {
    // The same consistency rules as the form (a field needs its type and must belong to it).
    const form = formFromDto({ applicationType: query.applicationType, grade: query.grade, field: query.field, kind: query.kind });
    const target: ConditionTarget = {
      ...(form.applicationType ? { applicationType: form.applicationType as ApplicationType } : {}),
      ...(form.grade ? { grade: form.grade as Grade } : {}),
      ...(form.field ? { field: form.field } : {}),
      ...(form.kind ? { kind: form.kind as ApplicationKind } : {}),
    };
    const [profile, records] = await Promise.all([this.identity.profile(authorization), this.identity.records(authorization)]);
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
    const period = (r: Record<string, unknown>) => ({ startDate: str(r.startDate), endDate: str(r.endDate) });
    const conditions = evaluateConditions(
      target,
      {
        verificationStatus: profile.verificationStatus,
        photoAccepted: profile.photoAccepted,
        educationLevels: profile.educations.map((e) => String(e.level ?? '')),
        work: records.filter((r) => r.kind === 'work').map(period),
        professionalWork: records.filter((r) => r.kind === 'professional-work').map(period),
        audits: records
          .filter((r) => r.kind === 'audit')
          .map((r) => ({ field: str(r.standard), onSiteDays: typeof r.onSiteDays === 'number' ? r.onSiteDays : null })),
      },
      chinaToday(),
    );
    return {
      target: { applicationType: form.applicationType, grade: form.grade, field: form.field, kind: form.kind },
      conditions,
      eligible: conditions.every((c) => c.status !== 'missing'),
      checkedAt: new Date().toISOString(),
    };
  }
}

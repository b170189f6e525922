import { CertificationErrors } from '../certification.errors';
import { fieldBelongsTo, type ApplicationType } from './application-catalogue';
import type { ApplicationFormDto } from './application.dtos';
import type { ApplicationForm } from './readiness';

/**
 * The form as stored: every field present, null when not filled in. The DTO has already checked
 * each value on its own; this checks them together (a grade or field needs its type; the field
 * must be one of the type's; an upgrade is not to trainee) and refuses with the field at fault.
 */
export function formFromDto(dto: ApplicationFormDto): ApplicationForm {
  const form: ApplicationForm = {
    applicationType: dto.applicationType ?? null,
    grade: dto.grade ?? null,
    field: dto.field ?? null,
    kind: dto.kind ?? null,
    specialty: typeof dto.specialty === 'string' && dto.specialty.trim().length > 0 ? dto.specialty.trim() : null,
    narrowScope: dto.narrowScope ?? null,
    paymentBy: dto.paymentBy ?? null,
    institutionId: dto.institutionId ? dto.institutionId.toLowerCase() : null,
  };
  if (!form.applicationType && (form.grade || form.field)) {
    throw CertificationErrors.error('CERT_TYPE_REQUIRED', { field: 'applicationType' });
  }
  if (form.applicationType && form.field && !fieldBelongsTo(form.applicationType as ApplicationType, form.field)) {
    throw CertificationErrors.error('CERT_FIELD_UNKNOWN', { field: 'field', details: { applicationType: form.applicationType, field: form.field } });
  }
  if (form.kind === 'upgrade' && form.grade === 'trainee') throw CertificationErrors.error('CERT_KIND_GRADE_MISMATCH', { field: 'grade' });
  return form;
}

import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { sqlRows } from '@certhub/persistence';
import { APPLICATION_TYPES, type ApplicationType } from '../applications/application-catalogue';
import { gradeName } from '../applications/readiness';
import { CertificationConfig } from '../certification.config';
import { CertificationErrors } from '../certification.errors';

export interface CertificateRow {
  id: string;
  certificate_no: string;
  application_id: string;
  person_id: string;
  application_type: string;
  grade: string;
  field: string;
  institution_id: string | null;
  institution_name: string | null;
  holder_name: string | null;
  issued_at: Date;
  valid_until: Date;
  status: 'valid' | 'suspended' | 'revoked' | 'cancelled' | 'expired';
  confirmed_year: number | null;
  last_confirmed_at: Date | null;
  cancelled_at: Date | null;
}

/** What a certificate is now: `valid`, `expired` (its validity passed), or the status that ended it. */
export type CertificateState = 'valid' | 'expired' | 'suspended' | 'revoked' | 'cancelled';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The registration certificates (我的证书): the holder's list with what each needs, the
 * annual-confirmation rule (CE-4: near expiry or expired), and the public validity query (CE-9).
 */
@Injectable()
export class CertificateService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: CertificationConfig,
  ) {}

  async ofPerson(runner: DataSource | EntityManager, personId: string): Promise<CertificateRow[]> {
    return sqlRows<CertificateRow>(runner, `SELECT * FROM certificate WHERE person_id = $1 ORDER BY issued_at DESC`, [personId]);
  }

  state(c: CertificateRow, now: Date = new Date()): CertificateState {
    if (c.status !== 'valid' && c.status !== 'expired') return c.status;
    return c.valid_until.getTime() <= now.getTime() ? 'expired' : 'valid';
  }

  /** CE-4: a certificate that is not cancelled or revoked and expires within the confirmation window, or has expired. */
  dueForConfirmation(c: CertificateRow, now: Date = new Date()): boolean {
    const state = this.state(c, now);
    if (state !== 'valid' && state !== 'expired') return false;
    return c.valid_until.getTime() - now.getTime() <= this.config.CONFIRMATION_WINDOW_DAYS * DAY_MS;
  }

  view(c: CertificateRow) {
    const type = Object.prototype.hasOwnProperty.call(APPLICATION_TYPES, c.application_type) ? APPLICATION_TYPES[c.application_type as ApplicationType] : null;
    return {
      id: c.id,
      certificateNo: c.certificate_no,
      applicationType: c.application_type,
      applicationTypeName: type?.zh ?? c.application_type,
      grade: c.grade,
      gradeName: gradeName(c.application_type, c.grade)?.zh ?? c.grade,
      field: c.field,
      institutionId: c.institution_id,
      institutionName: c.institution_name,
      issuedAt: c.issued_at.toISOString(),
      validUntil: c.valid_until.toISOString(),
      state: this.state(c),
      confirmedYear: c.confirmed_year,
      dueForConfirmation: this.dueForConfirmation(c),
    };
  }

  async mine(personId: string) {
    return (await this.ofPerson(this.dataSource, personId)).map((c) => this.view(c));
  }

  /** CE-4 条件自检: the certificates that need an annual confirmation; when none, the form is not offered and the message says why. */
  async confirmationsDue(personId: string) {
    const due = (await this.ofPerson(this.dataSource, personId)).filter((c) => this.dueForConfirmation(c)).map((c) => this.view(c));
    if (due.length > 0) return { due, message: null };
    const refusal = CertificationErrors.catalog.CERT_NO_CONFIRMATION_DUE;
    return { due, message: { zh: refusal.zh, en: refusal.en } };
  }

  /**
   * CE-9 证书查询: anyone may check a certificate by its number and the holder's name (both must
   * match; a wrong name answers like an unknown number, so numbers cannot be probed for names).
   * The answer holds what a certificate shows, no contact or document data.
   */
  async query(certificateNo: string, name: string) {
    const [c] = await sqlRows<CertificateRow>(this.dataSource, `SELECT * FROM certificate WHERE certificate_no = $1`, [certificateNo.trim()]);
    if (!c || !c.holder_name || normaliseName(c.holder_name) !== normaliseName(name)) throw CertificationErrors.error('CERT_CERTIFICATE_NOT_FOUND', { field: 'certificateNo' });
    const v = this.view(c);
    return {
      certificateNo: v.certificateNo,
      holderName: c.holder_name,
      applicationTypeName: v.applicationTypeName,
      gradeName: v.gradeName,
      field: v.field,
      institutionName: v.institutionName,
      issuedAt: v.issuedAt,
      validUntil: v.validUntil,
      state: v.state,
    };
  }
}

function normaliseName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/g, '');
}

import { Injectable } from '@nestjs/common';
import { CertificationConfig } from '../certification.config';
import { CertificationErrors } from '../certification.errors';

/** An education record of the basic info library (`GET /api/v1/identity/me` → `educations`). */
export interface LibraryEducation {
  id: string;
  school?: unknown;
  major?: unknown;
  level?: unknown;
  degree?: unknown;
  startDate?: unknown;
  endDate?: unknown;
}

/** Any other record of the library (`GET /api/v1/identity/me/records`): `{ id, kind, ...fields }`. */
export interface LibraryRecord {
  id: string;
  kind: string;
  [field: string]: unknown;
}

/** What the condition self-check needs of the caller's profile (no document number or phone). */
export interface ApplicantProfile {
  /** The name as verified (the certificate's holder name). */
  realName: string | null;
  verificationStatus: string | null;
  photoAccepted: boolean;
  educations: LibraryEducation[];
}

export interface DirectoryInstitution {
  id: string;
  name: string;
  kind: string;
}

/**
 * The identity service as certification calls it over HTTP (ADR 0013): the caller's profile and
 * basic info library with the caller's own token (identity decides what the caller may read),
 * and the public institution directory. Any failure to get an answer is
 * `CERT_IDENTITY_UNAVAILABLE` (503), raised before anything is written.
 */
@Injectable()
export class IdentityClient {
  constructor(private readonly config: CertificationConfig) {}

  private async get(path: string, authorization: string | undefined): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${this.config.IDENTITY_SERVICE_URL}${path}`, {
        headers: { authorization: authorization ?? '', accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.CALL_TIMEOUT_MS),
      });
    } catch {
      throw CertificationErrors.error('CERT_IDENTITY_UNAVAILABLE');
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  }

  private async getOk(path: string, authorization: string | undefined): Promise<unknown> {
    const { status, body } = await this.get(path, authorization);
    if (status !== 200 || typeof body !== 'object' || body === null) throw CertificationErrors.error('CERT_IDENTITY_UNAVAILABLE');
    return body;
  }

  async profile(authorization: string | undefined): Promise<ApplicantProfile> {
    const body = (await this.getOk('/api/v1/identity/me', authorization)) as {
      realName?: unknown;
      verification?: { status?: unknown };
      photo?: { accepted?: unknown };
      educations?: unknown;
    };
    return {
      realName: typeof body.realName === 'string' ? body.realName : null,
      verificationStatus: typeof body.verification?.status === 'string' ? body.verification.status : null,
      photoAccepted: body.photo?.accepted === true,
      educations: Array.isArray(body.educations) ? (body.educations as LibraryEducation[]).filter((e) => typeof e?.id === 'string') : [],
    };
  }

  /** Work, professional-work, audit and continuing-education records of the caller's library. */
  async records(authorization: string | undefined): Promise<LibraryRecord[]> {
    const body = await this.getOk('/api/v1/identity/me/records', authorization);
    if (!Array.isArray(body)) throw CertificationErrors.error('CERT_IDENTITY_UNAVAILABLE');
    return (body as LibraryRecord[]).filter((r) => typeof r?.id === 'string' && typeof r.kind === 'string');
  }

  /** An institution of the directory, or undefined when identity does not know it. */
  async institution(id: string, authorization: string | undefined): Promise<DirectoryInstitution | undefined> {
    const { status, body } = await this.get(`/api/v1/identity/institutions/${encodeURIComponent(id)}`, authorization);
    if (status === 404) return undefined;
    const i = body as Partial<DirectoryInstitution> | undefined;
    if (status !== 200 || typeof i?.id !== 'string' || typeof i.name !== 'string') throw CertificationErrors.error('CERT_IDENTITY_UNAVAILABLE');
    return { id: i.id, name: i.name, kind: String(i.kind ?? '') };
  }
}

import { Injectable } from '@nestjs/common';
import { ExamConfig } from '../exam.config';
import { ExamErrors } from '../exam.errors';

export interface CandidateProfile {
  realName: string;
  idType: string;
  gender: string | null;
  birthDate: string | null;
}

/**
 * Reads the caller's profile from the identity service (`GET /api/v1/identity/me`) with the
 * caller's own token: the name for a personal invoice and the derived gender and birth date of
 * EX-4. Not on the order hot path (only the info step asks).
 */
@Injectable()
export class IdentityDirectory {
  constructor(private readonly config: ExamConfig) {}

  async me(authorization: string | undefined): Promise<CandidateProfile> {
    let res: Response;
    try {
      res = await fetch(`${this.config.IDENTITY_SERVICE_URL}/api/v1/identity/me`, {
        headers: { authorization: authorization ?? '', accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.CALL_TIMEOUT_MS),
      });
    } catch {
      throw ExamErrors.error('EXAM_IDENTITY_UNAVAILABLE');
    }
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => undefined);
      throw ExamErrors.error('EXAM_IDENTITY_UNAVAILABLE');
    }
    const body = (await res.json()) as Partial<CandidateProfile>;
    if (typeof body.realName !== 'string' || body.realName.length === 0) throw ExamErrors.error('EXAM_IDENTITY_UNAVAILABLE');
    return { realName: body.realName, idType: String(body.idType ?? ''), gender: body.gender ?? null, birthDate: body.birthDate ?? null };
  }
}

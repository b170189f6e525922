import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { OutboxWriter } from '@certhub/persistence';
import { IdentityErrors } from '../identity.errors';
import { PASSWORD_RULE, PasswordHasher } from '../sessions/password-hasher';
import { SmsCodeService } from '../sms/sms-code.service';
import { Account, type Role } from './account.entity';
import type { AvailabilityDto, EducationDto, RegisterAccountDto } from './account.dtos';
import { Education } from './education.entity';
import { normaliseDocument } from './identity-document';

/** Maps a unique-index violation (including a lost registration race) to its domain error. */
export function uniqueViolationToError(err: unknown): Error | undefined {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  if (code !== '23505') return undefined;
  switch (constraint) {
    case 'uq_account_document':
      return IdentityErrors.error('IDENTITY_DOCUMENT_TAKEN', { field: 'idNumber' });
    case 'uq_account_username':
      return IdentityErrors.error('IDENTITY_USERNAME_TAKEN', { field: 'username' });
    case 'uq_account_phone':
      return IdentityErrors.error('IDENTITY_PHONE_TAKEN', { field: 'phone' });
    case 'uq_account_email':
      return IdentityErrors.error('IDENTITY_EMAIL_TAKEN', { field: 'email' });
    default:
      return undefined;
  }
}

export function checkPassword(password: string, field = 'password'): void {
  if (!PASSWORD_RULE.test(password)) throw IdentityErrors.error('IDENTITY_PASSWORD_WEAK', { field });
}

export function checkEducations(educations: EducationDto[], field = 'educations'): void {
  if (educations.length === 0) throw IdentityErrors.error('IDENTITY_EDUCATION_REQUIRED', { field });
  educations.forEach((e, i) => {
    if (e.endDate < e.startDate) throw IdentityErrors.error('IDENTITY_EDUCATION_DATES', { field: `${field}[${i}].endDate` });
  });
}

export interface NewAccount {
  username: string;
  password: string;
  realName: string;
  phone: string;
  email: string | null;
  accountType: Account['accountType'];
  roles: Role[];
  institutionId?: string | null;
  document?: ReturnType<typeof normaliseDocument>;
  recovery?: { question: string; answer: string };
}

@Injectable()
export class RegistrationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sms: SmsCodeService,
    private readonly hasher: PasswordHasher,
    private readonly outbox: OutboxWriter,
  ) {}

  /** ID-3: refuses taken identifiers before the SMS step (the commit checks again atomically). */
  async assertAvailable(query: AvailabilityDto): Promise<void> {
    const repo = this.dataSource.getRepository(Account);
    if (query.idType && query.idNumber) {
      const doc = normaliseDocument(query.idType, query.idNumber);
      if (await repo.exists({ where: { idType: doc.idType, idNumber: doc.idNumber } })) {
        throw IdentityErrors.error('IDENTITY_DOCUMENT_TAKEN', { field: 'idNumber' });
      }
    }
    if (query.username && (await repo.exists({ where: { usernameKey: query.username.toLowerCase() } }))) {
      throw IdentityErrors.error('IDENTITY_USERNAME_TAKEN', { field: 'username' });
    }
    if (query.phone && (await repo.exists({ where: { phone: query.phone } }))) {
      throw IdentityErrors.error('IDENTITY_PHONE_TAKEN', { field: 'phone' });
    }
    if (query.email && (await repo.exists({ where: { emailKey: query.email.trim().toLowerCase() } }))) {
      throw IdentityErrors.error('IDENTITY_EMAIL_TAKEN', { field: 'email' });
    }
  }

  /** ID-1 … ID-5: registers a personal account; the verification workflow starts from the event. */
  async register(dto: RegisterAccountDto): Promise<{ id: string; gender: 'male' | 'female' | null; birthDate: string | null }> {
    const document = normaliseDocument(dto.idType, dto.idNumber);
    const confirmed = (() => {
      try {
        return normaliseDocument(dto.confirm.idType, dto.confirm.idNumber, 'confirm.idNumber');
      } catch {
        return undefined;
      }
    })();
    if (!confirmed || confirmed.idType !== document.idType || confirmed.idNumber !== document.idNumber) {
      throw IdentityErrors.error('IDENTITY_CONFIRMATION_MISMATCH', { field: 'confirm.idNumber' });
    }
    if (dto.confirm.realName.trim() !== dto.realName.trim()) {
      throw IdentityErrors.error('IDENTITY_CONFIRMATION_MISMATCH', { field: 'confirm.realName' });
    }
    checkEducations(dto.educations);
    checkPassword(dto.password);
    if ((dto.recoveryQuestion === undefined) !== (dto.recoveryAnswer === undefined)) {
      throw IdentityErrors.error('IDENTITY_RECOVERY_FAILED', {
        field: dto.recoveryQuestion === undefined ? 'recoveryQuestion' : 'recoveryAnswer',
        en: 'A recovery question needs its answer, and an answer its question.',
        zh: '密码找回问题和答案须同时填写。',
      });
    }
    await this.assertAvailable({ username: dto.username, idType: dto.idType, idNumber: dto.idNumber, phone: dto.phone, email: dto.email });

    const account = await this.dataSource.transaction(async (manager) => {
      await this.sms.consume(manager, dto.phone, 'register', dto.smsCode);
      const created = await this.createAccount(manager, {
        username: dto.username,
        password: dto.password,
        realName: dto.realName.trim(),
        phone: dto.phone,
        email: dto.email,
        accountType: 'personal',
        roles: ['personal'],
        document,
        recovery: dto.recoveryQuestion && dto.recoveryAnswer ? { question: dto.recoveryQuestion, answer: dto.recoveryAnswer } : undefined,
      });
      await manager.getRepository(Education).insert(
        dto.educations.map((e) => ({
          id: randomUUID(),
          accountId: created.id,
          school: e.school.trim(),
          major: e.major.trim(),
          level: e.level,
          degree: e.degree?.trim() ?? null,
          startDate: e.startDate,
          endDate: e.endDate,
        })),
      );
      await this.outbox.append(manager, {
        topic: IdentityTopics.AccountRegistered,
        subjectId: created.id,
        actorId: created.id,
        data: {
          accountId: created.id,
          username: created.username,
          accountType: 'personal',
          idType: document.idType,
          educationCount: dto.educations.length,
          registeredAt: created.createdAt.toISOString(),
        },
      });
      return created;
    });
    return { id: account.id, gender: account.gender, birthDate: account.birthDate };
  }

  /** Inserts an account row; unique violations become the matching 409. */
  async createAccount(manager: EntityManager, input: NewAccount): Promise<Account> {
    const email = input.email?.trim() ?? null;
    const account = manager.getRepository(Account).create({
      id: randomUUID(),
      username: input.username,
      usernameKey: input.username.toLowerCase(),
      passwordHash: await this.hasher.hash(input.password),
      accountType: input.accountType,
      roles: input.roles,
      institutionId: input.institutionId ?? null,
      realName: input.realName,
      idType: input.document?.idType ?? null,
      idNumber: input.document?.idNumber ?? null,
      gender: input.document?.gender ?? null,
      birthDate: input.document?.birthDate ?? null,
      phone: input.phone,
      email,
      emailKey: email?.toLowerCase() ?? null,
      recoveryQuestion: input.recovery?.question ?? null,
      recoveryAnswerHash: input.recovery ? await this.hasher.hash(input.recovery.answer.trim()) : null,
      verificationStatus: input.accountType === 'personal' ? 'pending' : 'verified',
      failedLogins: 0,
      lockedUntil: null,
    });
    try {
      // A savepoint keeps the surrounding transaction usable for the error mapping.
      return await manager.getRepository(Account).save(account);
    } catch (err) {
      throw uniqueViolationToError(err) ?? err;
    }
  }
}

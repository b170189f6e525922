import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { validationErrorsToException } from '@certhub/errors';
import { OutboxWriter } from '@certhub/persistence';
import { Account } from '../accounts/account.entity';
import type { EducationDto } from '../accounts/account.dtos';
import { Education } from '../accounts/education.entity';
import { checkEducations, checkPassword, uniqueViolationToError } from '../accounts/registration.service';
import { IdentityErrors } from '../identity.errors';
import { PasswordHasher } from '../sessions/password-hasher';
import { SessionService } from '../sessions/session.service';
import { SmsCodeService } from '../sms/sms-code.service';
import { Photo } from '../photo/photo.entity';
import { ProfileRecord, type RecordKind } from './profile-record.entity';
import {
  AuditRecordDto,
  ContinuingEducationRecordDto,
  ProfessionalWorkRecordDto,
  WorkRecordDto,
  type ChangePhoneDto,
  type RecoveryQuestionDto,
} from './profile.dtos';

const RECORD_DTOS: Record<RecordKind, new () => object> = {
  work: WorkRecordDto,
  'professional-work': ProfessionalWorkRecordDto,
  audit: AuditRecordDto,
  'continuing-education': ContinuingEducationRecordDto,
};

const maskPhone = (p: string) => `${p.slice(0, 3)}****${p.slice(-4)}`;
const maskId = (n: string | null) => (n ? `${n.slice(0, 3)}${'*'.repeat(n.length - 5)}${n.slice(-2)}` : null);

@Injectable()
export class ProfileService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly sms: SmsCodeService,
    private readonly sessions: SessionService,
    private readonly outbox: OutboxWriter,
  ) {}

  async account(accountId: string): Promise<Account> {
    const account = await this.dataSource.getRepository(Account).findOne({ where: { id: accountId } });
    if (!account) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
    return account;
  }

  /** The profile shown on /me: identity (document number masked), derived data, verification, photo. */
  async me(accountId: string) {
    const account = await this.account(accountId);
    const [educations, photo] = await Promise.all([
      this.dataSource.getRepository(Education).find({ where: { accountId }, order: { startDate: 'ASC' } }),
      this.dataSource.getRepository(Photo).findOne({ where: { accountId }, select: { accountId: true, status: true, updatedAt: true } }),
    ]);
    return {
      id: account.id,
      username: account.username,
      accountType: account.accountType,
      roles: account.roles,
      institutionId: account.institutionId,
      realName: account.realName,
      idType: account.idType,
      idNumberMasked: maskId(account.idNumber),
      gender: account.gender,
      birthDate: account.birthDate,
      phoneMasked: maskPhone(account.phone),
      email: account.email,
      recoveryQuestion: account.recoveryQuestion,
      verification: { status: account.verificationStatus },
      photo: { accepted: photo?.status === 'accepted', updatedAt: photo?.updatedAt ?? null },
      educations: educations.map((e) => ({
        id: e.id,
        school: e.school,
        major: e.major,
        level: e.level,
        degree: e.degree,
        startDate: e.startDate,
        endDate: e.endDate,
      })),
      createdAt: account.createdAt,
    };
  }

  private async confirmPassword(account: Account, password: string, field = 'password'): Promise<void> {
    if (!(await this.hasher.verify(password, account.passwordHash))) throw IdentityErrors.error('IDENTITY_WRONG_PASSWORD', { field });
  }

  private async changed(accountId: string, changed: string[], manager = this.dataSource.manager): Promise<void> {
    await this.outbox.append(manager, { topic: IdentityTopics.AccountChanged, subjectId: accountId, actorId: accountId, data: { accountId, changed } });
  }

  async changePassword(accountId: string, oldPassword: string, newPassword: string): Promise<void> {
    const account = await this.account(accountId);
    await this.confirmPassword(account, oldPassword, 'oldPassword');
    checkPassword(newPassword, 'newPassword');
    const hash = await this.hasher.hash(newPassword);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE account SET password_hash = $2, updated_at = now(), version = version + 1 WHERE id = $1`, [accountId, hash]);
      await this.sessions.revokeAll(accountId, manager, 'password-changed');
      await this.changed(accountId, ['password'], manager);
    });
  }

  async setRecoveryQuestion(accountId: string, dto: RecoveryQuestionDto): Promise<void> {
    const account = await this.account(accountId);
    await this.confirmPassword(account, dto.password);
    const answerHash = await this.hasher.hash(dto.answer.trim());
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE account SET recovery_question = $2, recovery_answer_hash = $3, updated_at = now(), version = version + 1 WHERE id = $1`, [
        accountId,
        dto.question.trim(),
        answerHash,
      ]);
      await this.changed(accountId, ['recoveryQuestion'], manager);
    });
  }

  /** ID-10: the new phone proves itself with a code sent to it. */
  async changePhone(accountId: string, dto: ChangePhoneDto): Promise<void> {
    const account = await this.account(accountId);
    await this.confirmPassword(account, dto.password);
    if (dto.newPhone === account.phone) throw IdentityErrors.error('IDENTITY_PHONE_TAKEN', { field: 'newPhone' });
    await this.dataSource.transaction(async (manager) => {
      await this.sms.consume(manager, dto.newPhone, 'change-phone', dto.smsCode);
      try {
        await manager.query(`UPDATE account SET phone = $2, updated_at = now(), version = version + 1 WHERE id = $1`, [accountId, dto.newPhone]);
      } catch (err) {
        const mapped = uniqueViolationToError(err);
        if (mapped) throw IdentityErrors.error('IDENTITY_PHONE_TAKEN', { field: 'newPhone' });
        throw err;
      }
      await this.changed(accountId, ['phone'], manager);
    });
  }

  async changeEmail(accountId: string, email: string): Promise<void> {
    const value = email.trim();
    await this.dataSource.transaction(async (manager) => {
      try {
        await manager.query(`UPDATE account SET email = $2, email_key = $3, updated_at = now(), version = version + 1 WHERE id = $1`, [
          accountId,
          value,
          value.toLowerCase(),
        ]);
      } catch (err) {
        throw uniqueViolationToError(err) ?? err;
      }
      await this.changed(accountId, ['email'], manager);
    });
  }

  // ---- education and degree records (ID-10) ----

  async addEducation(accountId: string, dto: EducationDto) {
    checkEducations([dto], 'endDate');
    const row = { id: randomUUID(), accountId, school: dto.school.trim(), major: dto.major.trim(), level: dto.level, degree: dto.degree?.trim() ?? null, startDate: dto.startDate, endDate: dto.endDate };
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(Education).insert(row);
      await this.changed(accountId, ['educations'], manager);
    });
    return row;
  }

  async updateEducation(accountId: string, id: string, dto: EducationDto) {
    checkEducations([dto], 'endDate');
    await this.dataSource.transaction(async (manager) => {
      const result = await manager.getRepository(Education).update(
        { id, accountId },
        { school: dto.school.trim(), major: dto.major.trim(), level: dto.level, degree: dto.degree?.trim() ?? null, startDate: dto.startDate, endDate: dto.endDate },
      );
      if (!result.affected) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
      await this.changed(accountId, ['educations'], manager);
    });
    return { id, ...dto };
  }

  /** The last education record cannot go: registration requires at least one (ID-1). */
  async removeEducation(accountId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query(`SELECT id FROM education WHERE account_id = $1 FOR UPDATE`, [accountId]);
      if (!rows.some((r: { id: string }) => r.id === id)) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
      if (rows.length <= 1) throw IdentityErrors.error('IDENTITY_EDUCATION_REQUIRED', { field: 'id' });
      await manager.getRepository(Education).delete({ id, accountId });
      await this.changed(accountId, ['educations'], manager);
    });
  }

  // ---- basic info library (ID-11) ----

  private async validRecord(kind: RecordKind, body: unknown): Promise<Record<string, unknown>> {
    const dto = plainToInstance(RECORD_DTOS[kind], body ?? {});
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
    if (errors.length > 0) throw validationErrorsToException(errors);
    return { ...(dto as Record<string, unknown>) };
  }

  async listRecords(accountId: string, kind?: RecordKind) {
    const records = await this.dataSource.getRepository(ProfileRecord).find({ where: kind ? { accountId, kind } : { accountId }, order: { createdAt: 'ASC' } });
    return records.map((r) => ({ id: r.id, kind: r.kind, ...r.data, updatedAt: r.updatedAt }));
  }

  async addRecord(accountId: string, kind: RecordKind, body: unknown) {
    const data = await this.validRecord(kind, body);
    const id = randomUUID();
    await this.dataSource.getRepository(ProfileRecord).insert({ id, accountId, kind, data: data as never });
    return { id, kind, ...data };
  }

  async updateRecord(accountId: string, kind: RecordKind, id: string, body: unknown) {
    const data = await this.validRecord(kind, body);
    const result = await this.dataSource.getRepository(ProfileRecord).update({ id, accountId, kind }, { data: data as never });
    if (!result.affected) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
    return { id, kind, ...data };
  }

  async removeRecord(accountId: string, kind: RecordKind, id: string): Promise<void> {
    const result = await this.dataSource.getRepository(ProfileRecord).delete({ id, accountId, kind });
    if (!result.affected) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
  }
}

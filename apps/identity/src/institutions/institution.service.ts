import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, ILike } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { OutboxWriter } from '@certhub/persistence';
import { Account, GRANTABLE_ROLES, type Role } from '../accounts/account.entity';
import { checkPassword, RegistrationService } from '../accounts/registration.service';
import { IdentityErrors } from '../identity.errors';
import { Institution, type InstitutionKind } from './institution.entity';

/** ID-13 and the roles the association grants. */
@Injectable()
export class InstitutionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registration: RegistrationService,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(input: { name: string; creditCode: string; kind: InstitutionKind; approvalNumber?: string }, actorId: string | null): Promise<Institution> {
    return this.dataSource.transaction(async (manager) => {
      const institution = manager.getRepository(Institution).create({
        id: randomUUID(),
        name: input.name.trim(),
        creditCode: input.creditCode.toUpperCase(),
        kind: input.kind,
        approvalNumber: input.approvalNumber ?? null,
      });
      try {
        await manager.getRepository(Institution).insert(institution);
      } catch (err) {
        const e = err as { driverError?: { code?: string } };
        if (e.driverError?.code === '23505') throw IdentityErrors.error('IDENTITY_INSTITUTION_TAKEN', { field: 'creditCode' });
        throw err;
      }
      await this.outbox.append(manager, {
        topic: IdentityTopics.InstitutionCreated,
        subjectId: institution.id,
        actorId,
        data: { institutionId: institution.id, name: institution.name, kind: institution.kind },
      });
      return institution;
    });
  }

  /** The public directory (transfer forms choose institutions from it). */
  async search(q: string | undefined, kind: InstitutionKind | undefined, limit: number, offset: number) {
    const where = {
      ...(q ? { name: ILike(`%${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`) } : {}),
      ...(kind ? { kind } : {}),
    };
    const [items, total] = await this.dataSource.getRepository(Institution).findAndCount({ where, order: { name: 'ASC' }, take: limit, skip: offset });
    return { items: items.map((i) => ({ id: i.id, name: i.name, creditCode: i.creditCode, kind: i.kind })), total };
  }

  async get(id: string): Promise<Institution> {
    const institution = await this.dataSource.getRepository(Institution).findOne({ where: { id } });
    if (!institution) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
    return institution;
  }

  /** An institution account acts for one institution only (institution matters, not personal ones). */
  async createInstitutionAccount(institutionId: string, input: { username: string; password: string; realName: string; phone: string; email?: string }) {
    await this.get(institutionId);
    checkPassword(input.password);
    const account = await this.dataSource.transaction(async (manager) => {
      const created = await this.registration.createAccount(manager, {
        ...input,
        email: input.email ?? null,
        accountType: 'institution',
        roles: ['institution'],
        institutionId,
      });
      await this.emitRoles(manager, created);
      return created;
    });
    return { id: account.id, username: account.username, institutionId };
  }

  /** The admin grants expert, teacher and staff roles (staff are association staff). */
  async grantRole(accountId: string, role: Role, actorId: string): Promise<{ roles: Role[] }> {
    if (!(GRANTABLE_ROLES as readonly string[]).includes(role)) throw IdentityErrors.error('IDENTITY_ROLE_NOT_GRANTABLE', { field: 'role' });
    return this.dataSource.transaction(async (manager) => {
      const account = await manager.getRepository(Account).findOne({ where: { id: accountId }, lock: { mode: 'pessimistic_write' } });
      if (!account) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
      if (account.accountType === 'institution') throw IdentityErrors.error('IDENTITY_ROLE_NOT_GRANTABLE', { field: 'role' });
      if (!account.roles.includes(role)) {
        account.roles = [...account.roles, role];
        await manager.getRepository(Account).save(account);
        await this.emitRoles(manager, account, actorId);
      }
      return { roles: account.roles };
    });
  }

  /**
   * The certification service issued a registration certificate to this person
   * (`certification.certificate.issued.v1`, ADR 0016): the personal account gains `certified`
   * in the consumer's transaction. A second delivery changes nothing; an unknown or non-personal
   * account is not ours (another deployment sharing the broker) and is skipped.
   */
  async certificateIssued(manager: import('typeorm').EntityManager, personId: string): Promise<'granted' | 'already' | 'unknown'> {
    const account = await manager.getRepository(Account).findOne({ where: { id: personId }, lock: { mode: 'pessimistic_write' } });
    if (!account || account.accountType !== 'personal') return 'unknown';
    if (account.roles.includes('certified')) return 'already';
    account.roles = [...account.roles, 'certified'];
    await manager.getRepository(Account).save(account);
    await this.emitRoles(manager, account, null);
    return 'granted';
  }

  async revokeRole(accountId: string, role: Role, actorId: string): Promise<{ roles: Role[] }> {
    if (!(GRANTABLE_ROLES as readonly string[]).includes(role)) throw IdentityErrors.error('IDENTITY_ROLE_NOT_GRANTABLE', { field: 'role' });
    return this.dataSource.transaction(async (manager) => {
      const account = await manager.getRepository(Account).findOne({ where: { id: accountId }, lock: { mode: 'pessimistic_write' } });
      if (!account) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
      if (account.roles.includes(role)) {
        account.roles = account.roles.filter((r) => r !== role);
        await manager.getRepository(Account).save(account);
        await this.emitRoles(manager, account, actorId);
      }
      return { roles: account.roles };
    });
  }

  private async emitRoles(manager: import('typeorm').EntityManager, account: Account, actorId: string | null = null) {
    await this.outbox.append(manager, {
      topic: IdentityTopics.RolesChanged,
      subjectId: account.id,
      actorId,
      data: { accountId: account.id, roles: account.roles, institutionId: account.institutionId },
    });
  }
}

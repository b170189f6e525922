import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, ILike, type EntityManager } from 'typeorm';
import { IdentityTopics } from '@certhub/contracts';
import { OutboxWriter } from '@certhub/persistence';
import { Account, GRANTABLE_ROLES, type Role } from '../accounts/account.entity';
import { checkPassword, RegistrationService } from '../accounts/registration.service';
import { IdentityErrors } from '../identity.errors';
import { Institution, type InstitutionKind } from './institution.entity';

/** What an event of another domain did to a personal account's roles (`unknown`: not a personal account of ours). */
export type EarnedRoleResult = 'granted' | 'revoked' | 'unchanged' | 'stale' | 'unknown';

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
   * in the consumer's transaction. A second delivery or a second certificate changes nothing; an
   * unknown or non-personal account is not ours (another deployment sharing the broker) and is
   * skipped; a cancellation produced after this event and handled before it wins (`stale`).
   */
  async certificateIssued(manager: EntityManager, personId: string, occurredAt: Date): Promise<EarnedRoleResult> {
    return this.followCertificate(manager, personId, occurredAt, true);
  }

  /**
   * A certificate was cancelled (`certification.certificate.cancelled.v1`, CE-8): `certified`
   * follows `stillCertified`, the certification service's answer to whether the person holds
   * another valid certificate at that moment.
   */
  async certificateCancelled(manager: EntityManager, personId: string, occurredAt: Date, stillCertified: boolean): Promise<EarnedRoleResult> {
    return this.followCertificate(manager, personId, occurredAt, stillCertified);
  }

  /**
   * Issued and cancelled arrive on two topics, so Kafka does not order them against each other:
   * each carries whether the person is certified at its time, and the newest one (by the time
   * certification produced it) decides. Redeliveries never get here (the consumer drops them).
   */
  private async followCertificate(manager: EntityManager, personId: string, occurredAt: Date, certified: boolean): Promise<EarnedRoleResult> {
    const account = await this.lockPersonal(manager, personId);
    if (!account) return 'unknown';
    if (account.certifiedAsOf && account.certifiedAsOf.getTime() > occurredAt.getTime()) return 'stale';
    account.certifiedAsOf = occurredAt;
    const has = account.roles.includes('certified');
    if (has === certified) {
      await manager.getRepository(Account).update({ id: account.id }, { certifiedAsOf: occurredAt });
      return 'unchanged';
    }
    account.roles = certified ? [...account.roles, 'certified'] : account.roles.filter((r) => r !== 'certified');
    await manager.getRepository(Account).save(account);
    await this.emitRoles(manager, account, null);
    return certified ? 'granted' : 'revoked';
  }

  /**
   * An expert application was approved (`certification.expert.appointed.v1`, CE-8): the personal
   * account gains `expert`, the role the admin may also grant by hand. Removing it stays the
   * admin's (no event takes it away).
   */
  async expertAppointed(manager: EntityManager, personId: string): Promise<EarnedRoleResult> {
    const account = await this.lockPersonal(manager, personId);
    if (!account) return 'unknown';
    if (account.roles.includes('expert')) return 'unchanged';
    account.roles = [...account.roles, 'expert'];
    await manager.getRepository(Account).save(account);
    await this.emitRoles(manager, account, null);
    return 'granted';
  }

  /**
   * A transfer of practising institution was approved (`certification.person.transferred.v1`,
   * CE-5): the personal account moves to the new institution. The change is announced on
   * `identity.account.roles-changed.v1` (roles and institution: what the workbench directory
   * hands tasks by) and `identity.account.changed.v1` (`institutionId`, a profile field of /me).
   * An institution identity does not know is not moved to: the account stays where it was.
   */
  async personTransferred(manager: EntityManager, personId: string, toInstitutionId: string): Promise<'moved' | 'unchanged' | 'unknown' | 'unknown-institution'> {
    const account = await this.lockPersonal(manager, personId);
    if (!account) return 'unknown';
    if (account.institutionId === toInstitutionId) return 'unchanged';
    if (!(await manager.getRepository(Institution).exists({ where: { id: toInstitutionId } }))) return 'unknown-institution';
    account.institutionId = toInstitutionId;
    await manager.getRepository(Account).save(account);
    await this.emitRoles(manager, account, null);
    await this.outbox.append(manager, {
      topic: IdentityTopics.AccountChanged,
      subjectId: account.id,
      actorId: null,
      data: { accountId: account.id, changed: ['institutionId'] },
    });
    return 'moved';
  }

  /** The personal account an event of another domain names, locked for the consumer's transaction; undefined when it is not one of ours. */
  private async lockPersonal(manager: EntityManager, personId: string): Promise<Account | undefined> {
    const account = await manager.getRepository(Account).findOne({ where: { id: personId }, lock: { mode: 'pessimistic_write' } });
    return account && account.accountType === 'personal' ? account : undefined;
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

  private async emitRoles(manager: EntityManager, account: Account, actorId: string | null = null) {
    await this.outbox.append(manager, {
      topic: IdentityTopics.RolesChanged,
      subjectId: account.id,
      actorId,
      data: { accountId: account.id, roles: account.roles, institutionId: account.institutionId },
    });
  }
}

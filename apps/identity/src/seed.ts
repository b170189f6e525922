import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { generateResidentId } from '@certhub/cn-id';
import { IdentityTopics } from '@certhub/contracts';
import { OutboxWriter } from '@certhub/persistence';
import { Account, type Role } from './accounts/account.entity';
import { Education } from './accounts/education.entity';
import { IDENTITY_SCHEMA } from './database';
import { Institution } from './institutions/institution.entity';
import { PasswordHasher } from './sessions/password-hasher';

export interface SeedCredentials {
  adminPassword: string;
  demoPassword: string;
}

export interface SeededAccount {
  username: string;
  role: string;
}

const DEMO_INSTITUTION = { name: '华认质量认证中心（演示）', creditCode: '91110000MA00DEMO1X', kind: 'certification' as const };

/**
 * Demo data of the embedded default: the admin, one institution with its account, one expert
 * and one association staff member. Idempotent; the admin's password is (re)set every time so
 * `CERTHUB_ADMIN_PASSWORD` always wins.
 */
export async function seedIdentity(dataSource: DataSource, credentials: SeedCredentials, hashCost = 12): Promise<SeededAccount[]> {
  const hasher = new PasswordHasher(hashCost);
  const outbox = new OutboxWriter('identity', IDENTITY_SCHEMA);
  return dataSource.transaction(async (manager) => {
    let institution = await manager.getRepository(Institution).findOne({ where: { creditCode: DEMO_INSTITUTION.creditCode } });
    if (!institution) {
      institution = manager.getRepository(Institution).create({ id: randomUUID(), ...DEMO_INSTITUTION, approvalNumber: 'CNCA-R-2002-DEMO' });
      await manager.getRepository(Institution).insert(institution);
      await outbox.append(manager, {
        topic: IdentityTopics.InstitutionCreated,
        subjectId: institution.id,
        data: { institutionId: institution.id, name: institution.name, kind: institution.kind },
      });
    }
    const accounts: Array<{ username: string; realName: string; type: Account['accountType']; roles: Role[]; phone: string; password: string; personal?: boolean }> = [
      { username: 'admin', realName: '系统管理员', type: 'staff', roles: ['admin', 'staff'], phone: '13900000001', password: credentials.adminPassword },
      { username: 'staff_demo', realName: '协会审核员', type: 'staff', roles: ['staff'], phone: '13900000002', password: credentials.demoPassword },
      { username: 'inst_demo', realName: '机构经办人', type: 'institution', roles: ['institution'], phone: '13900000003', password: credentials.demoPassword },
      { username: 'expert_demo', realName: '李专家', type: 'personal', roles: ['personal', 'expert'], phone: '13900000004', password: credentials.demoPassword, personal: true },
    ];
    const seeded: SeededAccount[] = [];
    for (const a of accounts) {
      const existing = await manager.getRepository(Account).findOne({ where: { usernameKey: a.username } });
      if (existing) {
        if (a.username === 'admin' && !(await hasher.verify(a.password, existing.passwordHash))) {
          await manager.query(`UPDATE account SET password_hash = $2 WHERE id = $1`, [existing.id, await hasher.hash(a.password)]);
        }
      } else {
        await insertAccount(manager, hasher, outbox, a, institution.id);
      }
      seeded.push({ username: a.username, role: a.roles.join('+') });
    }
    return seeded;
  });
}

async function insertAccount(
  manager: EntityManager,
  hasher: PasswordHasher,
  outbox: OutboxWriter,
  a: { username: string; realName: string; type: Account['accountType']; roles: Role[]; phone: string; password: string; personal?: boolean },
  institutionId: string,
): Promise<void> {
  const id = randomUUID();
  const idNumber = a.personal ? generateResidentId({ region: '110105', birthDate: '1975-06-15', sequence: 123 }) : null;
  await manager.getRepository(Account).insert({
    id,
    username: a.username,
    usernameKey: a.username.toLowerCase(),
    passwordHash: await hasher.hash(a.password),
    accountType: a.type,
    roles: a.roles,
    institutionId: a.type === 'institution' || a.personal ? institutionId : null,
    realName: a.realName,
    idType: a.personal ? 'resident-id' : null,
    idNumber,
    gender: a.personal ? 'male' : null,
    birthDate: a.personal ? '1975-06-15' : null,
    phone: a.phone,
    email: `${a.username}@certhub.local`,
    emailKey: `${a.username}@certhub.local`,
    recoveryQuestion: null,
    recoveryAnswerHash: null,
    verificationStatus: a.personal ? 'pending' : 'verified',
    failedLogins: 0,
    lockedUntil: null,
  });
  if (a.personal) {
    await manager.getRepository(Education).insert({
      id: randomUUID(),
      accountId: id,
      school: '清华大学',
      major: '管理科学与工程',
      level: 'master',
      degree: '管理学硕士',
      startDate: '1997-09-01',
      endDate: '2000-07-01',
    });
  }
  await outbox.append(manager, {
    topic: IdentityTopics.AccountRegistered,
    subjectId: id,
    data: { accountId: id, username: a.username, accountType: a.type, idType: a.personal ? 'resident-id' : 'none', educationCount: a.personal ? 1 : 0, registeredAt: new Date().toISOString() },
  });
  // The roles too: the workbench hands tasks only to accounts whose roles it knows.
  await outbox.append(manager, {
    topic: IdentityTopics.RolesChanged,
    subjectId: id,
    data: { accountId: id, roles: a.roles, institutionId: a.type === 'institution' || a.personal ? institutionId : null },
  });
}

import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from '@certhub/persistence';
import { Account } from './accounts/account.entity';
import { Education } from './accounts/education.entity';
import { Captcha } from './captcha/captcha.entity';
import { Institution } from './institutions/institution.entity';
import { Photo } from './photo/photo.entity';
import { ProfileRecord } from './profile/profile-record.entity';
import { RefreshToken } from './sessions/refresh-token.entity';
import { SandboxSms, SmsCode } from './sms/sms-code.entity';
import { SandboxVerificationOutcome, VerificationProof, VerificationStep } from './verification/verification.entities';
import { IDENTITY_MIGRATIONS } from './migrations';

export const IDENTITY_SCHEMA = 'identity';

export const IDENTITY_ENTITIES = [
  Account,
  Education,
  Captcha,
  Institution,
  Photo,
  ProfileRecord,
  RefreshToken,
  SmsCode,
  SandboxSms,
  VerificationStep,
  VerificationProof,
  SandboxVerificationOutcome,
];

export function identityDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource(
    serviceDataSourceOptions({ url, schema: IDENTITY_SCHEMA, entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS, poolSize, applicationName: 'identity' }),
  );
}

export const database: import('@certhub/persistence').ServiceDatabase = {
  schema: IDENTITY_SCHEMA,
  create: identityDataSource,
};

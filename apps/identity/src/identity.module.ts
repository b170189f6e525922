import { join } from 'node:path';
import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { OutboxWriter } from '@certhub/persistence';
import { connectTemporalClient } from '@certhub/temporal';
import { AccountController } from './accounts/account.controller';
import { RegistrationService } from './accounts/registration.service';
import { CaptchaService } from './captcha/captcha.service';
import { identityDataSource, IDENTITY_SCHEMA } from './database';
import { IdentityConfig } from './identity.config';
import { IdentityRuntime } from './identity.runtime';
import { AdminController, InstitutionDirectoryController, StaffController } from './institutions/institution.controller';
import { InstitutionService } from './institutions/institution.service';
import { PhotoService } from './photo/photo.service';
import { ProfileController } from './profile/profile.controller';
import { ProfileService } from './profile/profile.service';
import { RecoveryController } from './recovery/recovery.controller';
import { RecoveryService } from './recovery/recovery.service';
import { SandboxController } from './sandbox/sandbox.controller';
import { PasswordHasher } from './sessions/password-hasher';
import { SessionController } from './sessions/session.controller';
import { SessionService } from './sessions/session.service';
import { SandboxSmsProvider, SmsProvider } from './sms/sms-provider';
import { SmsCodeService } from './sms/sms-code.service';
import { SandboxVerificationProvider, VerificationProvider } from './verification/verification-provider';
import { VerificationService } from './verification/verification.service';

export interface IdentityModuleOptions {
  config: IdentityConfig;
  logger: Logger;
  /** Where the prebuilt workflow bundles are (default: dist/workflow-bundles). */
  bundleDir?: string;
  /** Providers replacing the defaults (a real SMS gateway, a real verification provider). */
  smsProvider?: (ds: DataSource) => SmsProvider;
  verificationProvider?: (ds: DataSource) => VerificationProvider;
}

@Module({})
export class IdentityModule {
  static forRoot(options: IdentityModuleOptions): DynamicModule {
    const { config } = options;
    const bundleDir = options.bundleDir ?? config.WORKFLOW_BUNDLE_DIR ?? join(__dirname, '..', '..', '..', 'workflow-bundles');
    const providers: Provider[] = [
      { provide: IdentityConfig, useValue: config },
      { provide: Logger, useValue: options.logger },
      {
        provide: DataSource,
        useFactory: async () => identityDataSource(config.DATABASE_URL).initialize(),
      },
      { provide: OutboxWriter, useValue: new OutboxWriter('identity', IDENTITY_SCHEMA) },
      { provide: PasswordHasher, useValue: new PasswordHasher(config.PASSWORD_HASH_COST) },
      {
        provide: SmsProvider,
        inject: [DataSource],
        useFactory: (ds: DataSource) => options.smsProvider?.(ds) ?? new SandboxSmsProvider(ds),
      },
      {
        provide: VerificationProvider,
        inject: [DataSource],
        useFactory: (ds: DataSource) => options.verificationProvider?.(ds) ?? new SandboxVerificationProvider(ds),
      },
      {
        provide: Client,
        useFactory: () => connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }),
      },
      CaptchaService,
      SmsCodeService,
      RegistrationService,
      SessionService,
      ProfileService,
      RecoveryService,
      InstitutionService,
      PhotoService,
      VerificationService,
      {
        provide: IdentityRuntime,
        inject: [DataSource, OutboxWriter, VerificationProvider, Client, VerificationService, InstitutionService],
        useFactory: (
          dataSource: DataSource,
          outbox: OutboxWriter,
          provider: VerificationProvider,
          temporal: Client,
          verification: VerificationService,
          institutions: InstitutionService,
        ) => new IdentityRuntime({ config, logger: options.logger, dataSource, outbox, provider, temporal, verification, institutions, bundleDir }),
      },
    ];
    const controllers: Type<unknown>[] = [
      AccountController,
      SessionController,
      RecoveryController,
      ProfileController,
      InstitutionDirectoryController,
      AdminController,
      StaffController,
    ];
    if (config.sandboxEnabled) controllers.push(SandboxController);
    return { module: IdentityModule, providers, controllers };
  }
}

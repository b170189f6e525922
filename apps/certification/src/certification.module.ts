import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { OutboxWriter } from '@certhub/persistence';
import { ApplicationController, CatalogueController, ConditionController } from './applications/application.controller';
import { ApplicationService } from './applications/application.service';
import { ConditionService } from './applications/condition.service';
import { CertificationConfig } from './certification.config';
import { CertificationRuntime } from './certification.runtime';
import { certificationDataSource, CERTIFICATION_SCHEMA } from './database';
import { IdentityClient } from './library/identity-client';

export interface CertificationModuleOptions {
  config: CertificationConfig;
  logger: Logger;
}

@Module({})
export class CertificationModule {
  static forRoot(options: CertificationModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: CertificationModule,
      providers: [
        { provide: CertificationConfig, useValue: config },
        { provide: Logger, useValue: options.logger },
        { provide: DataSource, useFactory: async () => certificationDataSource(config.DATABASE_URL, config.DATABASE_POOL_SIZE).initialize() },
        { provide: OutboxWriter, useValue: new OutboxWriter('certification', CERTIFICATION_SCHEMA) },
        IdentityClient,
        ApplicationService,
        ConditionService,
        {
          provide: CertificationRuntime,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new CertificationRuntime({ config, logger: options.logger, dataSource }),
        },
      ],
      controllers: [CatalogueController, ConditionController, ApplicationController],
    };
  }
}

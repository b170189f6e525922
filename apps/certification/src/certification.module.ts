import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { OutboxWriter } from '@certhub/persistence';
import { connectTemporalClient } from '@certhub/temporal';
import { loadCalendarDirectory, WorkCalendar } from '@certhub/workdays';
import { ApplicationController, CatalogueController, ConditionController } from './applications/application.controller';
import { ApplicationService } from './applications/application.service';
import { ConditionService } from './applications/condition.service';
import { AttachmentController } from './attachments/attachment.controller';
import { AttachmentService } from './attachments/attachment.service';
import { CertificationConfig } from './certification.config';
import { CertificationRuntime } from './certification.runtime';
import { certificationDataSource, CERTIFICATION_SCHEMA } from './database';
import { IdentityClient } from './library/identity-client';
import { ApplicationActivities, CertificationCalendar } from './process/application.activities';
import { ApplicationWorkflowStarter } from './process/workflow-starter';
import { CertificateService } from './reviews/certificate.service';
import { ReviewCaseAccess } from './reviews/review-case-access';
import { ReviewCaseActivitiesImpl } from './reviews/review.activities';
import { CertificateController, ReviewCaseController, ReviewCaseItemController } from './reviews/review.controller';
import { ReviewCaseService } from './reviews/review.service';
import { ReviewCaseStarter } from './reviews/review-starter';

export interface CertificationModuleOptions {
  config: CertificationConfig;
  logger: Logger;
  /** Where the prebuilt workflow bundles are (default: dist/workflow-bundles). */
  bundleDir?: string;
}

@Module({})
export class CertificationModule {
  static forRoot(options: CertificationModuleOptions): DynamicModule {
    const { config } = options;
    const bundleDir = options.bundleDir ?? config.WORKFLOW_BUNDLE_DIR ?? join(__dirname, '..', '..', '..', 'workflow-bundles');
    const calendar: CertificationCalendar = {
      calendar: config.WORKDAYS_CALENDAR_DIR ? WorkCalendar.builtIn().withYears(loadCalendarDirectory(config.WORKDAYS_CALENDAR_DIR)) : WorkCalendar.builtIn(),
    };
    return {
      module: CertificationModule,
      providers: [
        { provide: CertificationConfig, useValue: config },
        { provide: Logger, useValue: options.logger },
        { provide: DataSource, useFactory: async () => certificationDataSource(config.DATABASE_URL, config.DATABASE_POOL_SIZE).initialize() },
        { provide: OutboxWriter, useValue: new OutboxWriter('certification', CERTIFICATION_SCHEMA) },
        { provide: CertificationCalendar, useValue: calendar },
        {
          provide: Client,
          useFactory: () => connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }),
        },
        IdentityClient,
        ApplicationService,
        ConditionService,
        ApplicationWorkflowStarter,
        ApplicationActivities,
        CertificateService,
        ReviewCaseAccess,
        AttachmentService,
        ReviewCaseService,
        ReviewCaseStarter,
        ReviewCaseActivitiesImpl,
        {
          provide: CertificationRuntime,
          inject: [DataSource, Client, ApplicationWorkflowStarter, ApplicationActivities, ReviewCaseStarter, ReviewCaseActivitiesImpl, AttachmentService],
          useFactory: (
            dataSource: DataSource,
            temporal: Client,
            starter: ApplicationWorkflowStarter,
            activities: ApplicationActivities,
            reviewStarter: ReviewCaseStarter,
            reviewActivities: ReviewCaseActivitiesImpl,
            attachments: AttachmentService,
          ) => new CertificationRuntime({ config, logger: options.logger, dataSource, temporal, starter, activities, reviewStarter, reviewActivities, attachments, bundleDir }),
        },
      ],
      controllers: [CatalogueController, ConditionController, ApplicationController, ReviewCaseController, ReviewCaseItemController, CertificateController, AttachmentController],
    };
  }
}

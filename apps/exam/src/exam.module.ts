import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { OutboxWriter } from '@certhub/persistence';
import { AvailabilityController } from './availability/availability.controller';
import { AvailabilityService } from './availability/availability.service';
import { CatalogueAdminController } from './catalogue/catalogue.controller';
import { CatalogueService } from './catalogue/catalogue.service';
import { examDataSource, EXAM_SCHEMA } from './database';
import { ExamConfig } from './exam.config';
import { ExamRuntime } from './exam.runtime';
import { OrderService } from './orders/order.service';
import { PaymentClient } from './orders/payment-client';
import { IdentityDirectory } from './registration/identity-directory';
import { RegistrationController } from './registration/registration.controller';
import { RegistrationService } from './registration/registration.service';

export interface ExamModuleOptions {
  config: ExamConfig;
  logger: Logger;
}

@Module({})
export class ExamModule {
  static forRoot(options: ExamModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: ExamModule,
      providers: [
        { provide: ExamConfig, useValue: config },
        { provide: Logger, useValue: options.logger },
        { provide: DataSource, useFactory: async () => examDataSource(config.DATABASE_URL, config.DATABASE_POOL_SIZE).initialize() },
        { provide: OutboxWriter, useValue: new OutboxWriter('exam', EXAM_SCHEMA) },
        CatalogueService,
        IdentityDirectory,
        PaymentClient,
        RegistrationService,
        OrderService,
        AvailabilityService,
        {
          provide: ExamRuntime,
          inject: [DataSource, OrderService],
          useFactory: (dataSource: DataSource, orders: OrderService) => new ExamRuntime({ config, logger: options.logger, dataSource, orders }),
        },
      ],
      controllers: [CatalogueAdminController, RegistrationController, AvailabilityController],
    };
  }
}

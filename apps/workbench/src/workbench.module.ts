import { join } from 'node:path';
import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import { OutboxWriter } from '@certhub/persistence';
import { connectTemporalClient } from '@certhub/temporal';
import { AuditService } from './audit/audit.service';
import { CaseHistoryController } from './audit/audit.controller';
import { CalendarController } from './calendar/calendar.controller';
import { CalendarService } from './calendar/calendar.service';
import { CatalogueController } from './catalogue/catalogue.controller';
import { workbenchDataSource, WORKBENCH_SCHEMA } from './database';
import { ItemController } from './items/item.controller';
import { ItemService } from './items/item.service';
import { MessageController } from './messages/message.controller';
import { MessageService } from './messages/message.service';
import { TaskController } from './tasks/task.controller';
import { TaskService } from './tasks/task.service';
import { TaskWaiters } from './tasks/task-waiters';
import { WorkbenchConfig } from './workbench.config';
import { WorkbenchRuntime } from './workbench.runtime';

export interface WorkbenchModuleOptions {
  config: WorkbenchConfig;
  logger: Logger;
  bundleDir?: string;
}

@Module({})
export class WorkbenchModule {
  static forRoot(options: WorkbenchModuleOptions): DynamicModule {
    const { config } = options;
    const bundleDir = options.bundleDir ?? config.WORKFLOW_BUNDLE_DIR ?? join(__dirname, '..', '..', '..', 'workflow-bundles');
    const providers: Provider[] = [
      { provide: WorkbenchConfig, useValue: config },
      { provide: Logger, useValue: options.logger },
      { provide: DataSource, useFactory: async () => workbenchDataSource(config.DATABASE_URL).initialize() },
      { provide: OutboxWriter, useValue: new OutboxWriter('workbench', WORKBENCH_SCHEMA) },
      { provide: Client, useFactory: () => connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }) },
      { provide: TaskWaiters, useFactory: () => new TaskWaiters(config.DATABASE_URL, options.logger.child('task-waiters')) },
      CalendarService,
      TaskService,
      AuditService,
      ItemService,
      MessageService,
      {
        provide: WorkbenchRuntime,
        inject: [DataSource, Client, TaskService],
        useFactory: (dataSource: DataSource, temporal: Client, tasks: TaskService) =>
          new WorkbenchRuntime({ config, logger: options.logger, dataSource, temporal, tasks, bundleDir }),
      },
    ];
    const controllers: Type<unknown>[] = [TaskController, ItemController, MessageController, CaseHistoryController, CatalogueController, CalendarController];
    return { module: WorkbenchModule, providers, controllers };
  }
}

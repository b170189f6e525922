import { DataSource } from 'typeorm';
import { serviceDataSourceOptions, type ServiceDatabase } from '@certhub/persistence';
import { AuditEntry } from './audit/audit-entry.entity';
import { CalendarYearRow } from './calendar/calendar-year.entity';
import { DirectoryAccount } from './directory/directory-account.entity';
import { MyItem } from './items/my-item.entity';
import { Message, Notice, NoticeCursor, NoticeReceipt } from './messages/message.entity';
import { WORKBENCH_MIGRATIONS } from './migrations';
import { Task } from './tasks/task.entity';

export const WORKBENCH_SCHEMA = 'workbench';

export const WORKBENCH_ENTITIES = [Task, AuditEntry, MyItem, Message, Notice, NoticeReceipt, NoticeCursor, CalendarYearRow, DirectoryAccount];

export function workbenchDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource(
    serviceDataSourceOptions({ url, schema: WORKBENCH_SCHEMA, entities: WORKBENCH_ENTITIES, migrations: WORKBENCH_MIGRATIONS, poolSize, applicationName: 'workbench' }),
  );
}

export const database: ServiceDatabase = {
  schema: WORKBENCH_SCHEMA,
  create: workbenchDataSource,
};

import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from '@certhub/persistence';
import { ExamCity, ExamPeriod, ExamSession, Offering, SeatPool } from './catalogue/catalogue.entities';
import { ExamOrder, OrderLine, RefundRequest } from './orders/order.entities';
import { AcceptedPhoto, Registration } from './registration/registration.entities';
import { EXAM_MIGRATIONS } from './migrations';

export const EXAM_SCHEMA = 'exam';

export const EXAM_ENTITIES = [ExamPeriod, ExamSession, Offering, ExamCity, SeatPool, Registration, AcceptedPhoto, ExamOrder, OrderLine, RefundRequest];

export function examDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource(
    serviceDataSourceOptions({ url, schema: EXAM_SCHEMA, entities: EXAM_ENTITIES, migrations: EXAM_MIGRATIONS, poolSize, applicationName: 'exam' }),
  );
}

export const database: import('@certhub/persistence').ServiceDatabase = {
  schema: EXAM_SCHEMA,
  create: examDataSource,
};

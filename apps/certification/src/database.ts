import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from '@certhub/persistence';
import { Application, ApplicationHistory, ApplicationRecord, Certificate } from './applications/application.entities';
import { Attachment, ReviewCaseAttachment } from './attachments/attachment.entities';
import { CERTIFICATION_MIGRATIONS } from './migrations';
import { ReviewCase, ReviewCaseHistory } from './reviews/review.entities';

export const CERTIFICATION_SCHEMA = 'certification';

export const CERTIFICATION_ENTITIES = [Application, ApplicationRecord, ApplicationHistory, Certificate, ReviewCase, ReviewCaseHistory, Attachment, ReviewCaseAttachment];

export function certificationDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource(
    serviceDataSourceOptions({
      url,
      schema: CERTIFICATION_SCHEMA,
      entities: CERTIFICATION_ENTITIES,
      migrations: CERTIFICATION_MIGRATIONS,
      poolSize,
      applicationName: 'certification',
    }),
  );
}

export const database: import('@certhub/persistence').ServiceDatabase = {
  schema: CERTIFICATION_SCHEMA,
  create: certificationDataSource,
};

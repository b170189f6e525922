import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795540947497 } from './1795540947497-InitialSchema';
import { ApplicationProcess1795544649608 } from './1795544649608-ApplicationProcess';
import { ApplicationWithdrawPending1795551303241 } from './1795551303241-ApplicationWithdrawPending';
import { ReviewCases1795551425166 } from './1795551425166-ReviewCases';
import { Attachments1795561289874 } from './1795561289874-Attachments';
import { AttachmentPurge1795590000000 } from './1795590000000-AttachmentPurge';

/** Generated migrations of the certification schema, in order (see docs/architecture.md, "Migrations"). */
export const CERTIFICATION_MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1795540947497,
  ApplicationProcess1795544649608,
  ApplicationWithdrawPending1795551303241,
  ReviewCases1795551425166,
  Attachments1795561289874,
  AttachmentPurge1795590000000,
];

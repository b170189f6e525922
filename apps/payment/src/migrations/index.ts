import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795534254959 } from './1795534254959-InitialSchema';
import { FeePayment1795541016776 } from './1795541016776-FeePayment';
import { DeadlinePassIndex1795541518681 } from './1795541518681-DeadlinePassIndex';

/** Generated migrations of the payment schema, in order (see docs/architecture.md, "Migrations"). */
export const PAYMENT_MIGRATIONS: Array<new () => MigrationInterface> = [InitialSchema1795534254959, FeePayment1795541016776, DeadlinePassIndex1795541518681];

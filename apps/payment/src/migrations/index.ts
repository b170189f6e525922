import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795534254959 } from './1795534254959-InitialSchema';

/** Generated migrations of the payment schema, in order (see docs/architecture.md, "Migrations"). */
export const PAYMENT_MIGRATIONS: Array<new () => MigrationInterface> = [InitialSchema1795534254959];

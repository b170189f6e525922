import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795532829917 } from './1795532829917-InitialSchema';

/** Generated migrations of the exam schema, in order (see docs/architecture.md, "Migrations"). */
export const EXAM_MIGRATIONS: Array<new () => MigrationInterface> = [InitialSchema1795532829917];

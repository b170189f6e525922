import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795520160883 } from './1795520160883-InitialSchema';
import { AccountDirectory1795521296505 } from './1795521296505-AccountDirectory';
import { TaskInboxIndexes1795521978210 } from './1795521978210-TaskInboxIndexes';
import { MyItemOneOwnerIndex1795526087356 } from './1795526087356-MyItemOneOwnerIndex';
import { CaseKeyedIndexes1795531499732 } from './1795531499732-CaseKeyedIndexes';

/** Generated migrations of the workbench schema, in order (see docs/architecture.md, "Migrations"). */
export const WORKBENCH_MIGRATIONS: Array<new () => MigrationInterface> = [InitialSchema1795520160883, AccountDirectory1795521296505, TaskInboxIndexes1795521978210, MyItemOneOwnerIndex1795526087356, CaseKeyedIndexes1795531499732];

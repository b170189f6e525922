import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795508307218 } from './1795508307218-InitialSchema';
import { VerificationBusinessNo1795519985837 } from './1795519985837-VerificationBusinessNo';
import { CertifiedAsOf1795551136989 } from './1795551136989-CertifiedAsOf';

/** Generated migrations of the identity schema, in order (see docs/architecture.md, "Migrations"). */
export const IDENTITY_MIGRATIONS: Array<new () => MigrationInterface> = [InitialSchema1795508307218, VerificationBusinessNo1795519985837, CertifiedAsOf1795551136989];

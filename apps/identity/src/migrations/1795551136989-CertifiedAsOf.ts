import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The time of the certificate event `certified` follows (ADR 0016); written in the shape `npm run db:generate` produces. */
export class CertifiedAsOf1795551136989 implements MigrationInterface {
  name = 'CertifiedAsOf1795551136989';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "account" ADD "certified_as_of" TIMESTAMP WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "account" DROP COLUMN "certified_as_of"`);
  }
}

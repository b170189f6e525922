import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The purge of uploads no case's form named walks them by upload time. */
export class AttachmentPurge1795590000000 implements MigrationInterface {
  name = 'AttachmentPurge1795590000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_attachment_uploaded" ON "attachment"  ("uploaded_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "certification"."ix_attachment_uploaded"`);
  }
}

import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "publications" ADD COLUMN "slot_key" varchar;
  CREATE UNIQUE INDEX "publications_slot_key_idx" ON "publications" USING btree ("slot_key");`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   DROP INDEX "publications_slot_key_idx";
  ALTER TABLE "publications" DROP COLUMN "slot_key";`)
}

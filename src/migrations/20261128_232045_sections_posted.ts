import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "articles" ADD COLUMN "generation_posted_up_to" numeric;
  ALTER TABLE "_articles_v" ADD COLUMN "version_generation_posted_up_to" numeric;`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "articles" DROP COLUMN "generation_posted_up_to";
  ALTER TABLE "_articles_v" DROP COLUMN "version_generation_posted_up_to";`)
}

import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "payments" ALTER COLUMN "account_id" DROP NOT NULL;
  ALTER TABLE "credit_ledger" ALTER COLUMN "account_id" DROP NOT NULL;
  ALTER TABLE "subscriptions" ALTER COLUMN "account_id" DROP NOT NULL;`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "payments" ALTER COLUMN "account_id" SET NOT NULL;
  ALTER TABLE "credit_ledger" ALTER COLUMN "account_id" SET NOT NULL;
  ALTER TABLE "subscriptions" ALTER COLUMN "account_id" SET NOT NULL;`)
}

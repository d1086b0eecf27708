import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

/**
 * The free plan gives 100 credits a month (src/billing/planCredits.ts grants a plan's
 * `monthlyCredits` to accounts with no paid period, once per calendar month in their zone): with
 * billing on, a customer on the free plan could otherwise never generate. Only a free plan still at
 * the seeded 0 is changed; a value staff already set stays.
 */
export async function up({ db }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`UPDATE "plans" SET "monthly_credits" = 100, "updated_at" = now() WHERE "code" = 'free' AND "monthly_credits" = 0`)
}

export async function down({ db }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`UPDATE "plans" SET "monthly_credits" = 0, "updated_at" = now() WHERE "code" = 'free' AND "monthly_credits" = 100`)
}

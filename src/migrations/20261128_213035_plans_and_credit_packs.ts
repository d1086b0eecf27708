import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

import { SEED_CREDIT_PACKS, SEED_PLANS } from '../usage/plans'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   CREATE TYPE "public"."enum_plans_prices_currency" AS ENUM('XTR', 'RUB', 'USD', 'EUR');
  CREATE TYPE "public"."enum_credit_packs_prices_currency" AS ENUM('XTR', 'RUB', 'USD', 'EUR');
  CREATE TYPE "public"."enum_payments_provider" AS ENUM('stars', 'yookassa', 'stripe');
  CREATE TYPE "public"."enum_payments_product_kind" AS ENUM('plan', 'pack');
  CREATE TYPE "public"."enum_payments_currency" AS ENUM('XTR', 'RUB', 'USD', 'EUR');
  CREATE TYPE "public"."enum_payments_status" AS ENUM('pending', 'waiting_for_capture', 'succeeded', 'canceled', 'refunded', 'partially_refunded');
  CREATE TYPE "public"."enum_credit_ledger_kind" AS ENUM('grant', 'purchase', 'spend', 'refund', 'expiry', 'adjustment');
  CREATE TYPE "public"."enum_subscriptions_provider" AS ENUM('stars', 'yookassa', 'stripe');
  CREATE TYPE "public"."enum_subscriptions_status" AS ENUM('active', 'past_due', 'canceled');
  CREATE TYPE "public"."enum_billing_events_provider" AS ENUM('stars', 'yookassa', 'stripe');
  CREATE TABLE "plans_prices" (
  	"_order" integer NOT NULL,
  	"_parent_id" integer NOT NULL,
  	"id" varchar PRIMARY KEY NOT NULL,
  	"currency" "enum_plans_prices_currency" NOT NULL,
  	"amount" numeric NOT NULL,
  	"stripe_price_id" varchar
  );
  
  CREATE TABLE "plans" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"code" varchar NOT NULL,
  	"name_ru" varchar NOT NULL,
  	"name_en" varchar NOT NULL,
  	"description_ru" varchar,
  	"description_en" varchar,
  	"active" boolean DEFAULT true,
  	"is_default" boolean DEFAULT false,
  	"sort_order" numeric DEFAULT 0,
  	"limits_max_projects" numeric NOT NULL,
  	"limits_max_connections" numeric NOT NULL,
  	"limits_daily_generations" numeric NOT NULL,
  	"limits_daily_spend_usd" numeric NOT NULL,
  	"monthly_credits" numeric DEFAULT 0 NOT NULL,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "credit_packs_prices" (
  	"_order" integer NOT NULL,
  	"_parent_id" integer NOT NULL,
  	"id" varchar PRIMARY KEY NOT NULL,
  	"currency" "enum_credit_packs_prices_currency" NOT NULL,
  	"amount" numeric NOT NULL,
  	"stripe_price_id" varchar
  );
  
  CREATE TABLE "credit_packs" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"code" varchar NOT NULL,
  	"name_ru" varchar NOT NULL,
  	"name_en" varchar NOT NULL,
  	"credits" numeric NOT NULL,
  	"active" boolean DEFAULT true,
  	"sort_order" numeric DEFAULT 0,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "payments" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"provider" "enum_payments_provider" NOT NULL,
  	"provider_payment_id" varchar NOT NULL,
  	"provider_charge_id" varchar,
  	"provider_subscription_id" varchar,
  	"account_id" integer NOT NULL,
  	"product_kind" "enum_payments_product_kind" NOT NULL,
  	"product_code" varchar NOT NULL,
  	"amount" numeric NOT NULL,
  	"currency" "enum_payments_currency" NOT NULL,
  	"status" "enum_payments_status" DEFAULT 'pending' NOT NULL,
  	"refunded_amount" numeric DEFAULT 0 NOT NULL,
  	"credits" numeric DEFAULT 0,
  	"paid_at" timestamp(3) with time zone,
  	"refunded_at" timestamp(3) with time zone,
  	"receipt_email" varchar,
  	"receipt_phone" varchar,
  	"metadata" jsonb,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "credit_ledger" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"account_id" integer NOT NULL,
  	"kind" "enum_credit_ledger_kind" NOT NULL,
  	"credits" numeric NOT NULL,
  	"balance_after" numeric,
  	"reason" varchar,
  	"staff_user_id" integer,
  	"payment_id" integer,
  	"job_ref" varchar,
  	"idempotency_key" varchar NOT NULL,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "subscriptions" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"account_id" integer NOT NULL,
  	"provider" "enum_subscriptions_provider" NOT NULL,
  	"provider_subscription_id" varchar NOT NULL,
  	"plan_code" varchar NOT NULL,
  	"status" "enum_subscriptions_status" NOT NULL,
  	"current_period_end" timestamp(3) with time zone,
  	"cancel_at_period_end" boolean DEFAULT false,
  	"last_event_at" timestamp(3) with time zone,
  	"credits_expired_at" timestamp(3) with time zone,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "billing_events" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"provider" "enum_billing_events_provider" NOT NULL,
  	"event_id" varchar NOT NULL,
  	"type" varchar NOT NULL,
  	"processed_at" timestamp(3) with time zone NOT NULL,
  	"outcome" varchar,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  ALTER TABLE "accounts" ALTER COLUMN "plan" SET DATA TYPE varchar;
  ALTER TABLE "accounts" ALTER COLUMN "plan" DROP DEFAULT;
  ALTER TABLE "accounts" ADD COLUMN "announcements_off" boolean DEFAULT false;
  ALTER TABLE "accounts" ADD COLUMN "bot_blocked_at" timestamp(3) with time zone;
  ALTER TABLE "accounts" ADD COLUMN "deleted_at" timestamp(3) with time zone;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "plans_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "credit_packs_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "payments_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "credit_ledger_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "subscriptions_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "billing_events_id" integer;
  ALTER TABLE "plans_prices" ADD CONSTRAINT "plans_prices_parent_id_fk" FOREIGN KEY ("_parent_id") REFERENCES "public"."plans"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "credit_packs_prices" ADD CONSTRAINT "credit_packs_prices_parent_id_fk" FOREIGN KEY ("_parent_id") REFERENCES "public"."credit_packs"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payments" ADD CONSTRAINT "payments_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "credit_ledger" ADD CONSTRAINT "credit_ledger_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "credit_ledger" ADD CONSTRAINT "credit_ledger_staff_user_id_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "credit_ledger" ADD CONSTRAINT "credit_ledger_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;
  CREATE INDEX "plans_prices_order_idx" ON "plans_prices" USING btree ("_order");
  CREATE INDEX "plans_prices_parent_id_idx" ON "plans_prices" USING btree ("_parent_id");
  CREATE UNIQUE INDEX "plans_code_idx" ON "plans" USING btree ("code");
  CREATE INDEX "plans_updated_at_idx" ON "plans" USING btree ("updated_at");
  CREATE INDEX "plans_created_at_idx" ON "plans" USING btree ("created_at");
  CREATE INDEX "credit_packs_prices_order_idx" ON "credit_packs_prices" USING btree ("_order");
  CREATE INDEX "credit_packs_prices_parent_id_idx" ON "credit_packs_prices" USING btree ("_parent_id");
  CREATE UNIQUE INDEX "credit_packs_code_idx" ON "credit_packs" USING btree ("code");
  CREATE INDEX "credit_packs_updated_at_idx" ON "credit_packs" USING btree ("updated_at");
  CREATE INDEX "credit_packs_created_at_idx" ON "credit_packs" USING btree ("created_at");
  CREATE INDEX "payments_provider_idx" ON "payments" USING btree ("provider");
  CREATE UNIQUE INDEX "payments_provider_charge_id_idx" ON "payments" USING btree ("provider_charge_id");
  CREATE INDEX "payments_provider_subscription_id_idx" ON "payments" USING btree ("provider_subscription_id");
  CREATE INDEX "payments_account_idx" ON "payments" USING btree ("account_id");
  CREATE INDEX "payments_status_idx" ON "payments" USING btree ("status");
  CREATE INDEX "payments_paid_at_idx" ON "payments" USING btree ("paid_at");
  CREATE INDEX "payments_updated_at_idx" ON "payments" USING btree ("updated_at");
  CREATE INDEX "payments_created_at_idx" ON "payments" USING btree ("created_at");
  CREATE UNIQUE INDEX "provider_providerPaymentId_idx" ON "payments" USING btree ("provider","provider_payment_id");
  CREATE INDEX "credit_ledger_account_idx" ON "credit_ledger" USING btree ("account_id");
  CREATE INDEX "credit_ledger_kind_idx" ON "credit_ledger" USING btree ("kind");
  CREATE INDEX "credit_ledger_staff_user_idx" ON "credit_ledger" USING btree ("staff_user_id");
  CREATE INDEX "credit_ledger_payment_idx" ON "credit_ledger" USING btree ("payment_id");
  CREATE INDEX "credit_ledger_job_ref_idx" ON "credit_ledger" USING btree ("job_ref");
  CREATE UNIQUE INDEX "credit_ledger_idempotency_key_idx" ON "credit_ledger" USING btree ("idempotency_key");
  CREATE INDEX "credit_ledger_updated_at_idx" ON "credit_ledger" USING btree ("updated_at");
  CREATE INDEX "credit_ledger_created_at_idx" ON "credit_ledger" USING btree ("created_at");
  CREATE INDEX "subscriptions_account_idx" ON "subscriptions" USING btree ("account_id");
  CREATE INDEX "subscriptions_status_idx" ON "subscriptions" USING btree ("status");
  CREATE INDEX "subscriptions_current_period_end_idx" ON "subscriptions" USING btree ("current_period_end");
  CREATE INDEX "subscriptions_updated_at_idx" ON "subscriptions" USING btree ("updated_at");
  CREATE INDEX "subscriptions_created_at_idx" ON "subscriptions" USING btree ("created_at");
  CREATE UNIQUE INDEX "provider_providerSubscriptionId_idx" ON "subscriptions" USING btree ("provider","provider_subscription_id");
  CREATE INDEX "billing_events_type_idx" ON "billing_events" USING btree ("type");
  CREATE INDEX "billing_events_updated_at_idx" ON "billing_events" USING btree ("updated_at");
  CREATE INDEX "billing_events_created_at_idx" ON "billing_events" USING btree ("created_at");
  CREATE UNIQUE INDEX "provider_eventId_idx" ON "billing_events" USING btree ("provider","event_id");
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_plans_fk" FOREIGN KEY ("plans_id") REFERENCES "public"."plans"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_credit_packs_fk" FOREIGN KEY ("credit_packs_id") REFERENCES "public"."credit_packs"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_payments_fk" FOREIGN KEY ("payments_id") REFERENCES "public"."payments"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_credit_ledger_fk" FOREIGN KEY ("credit_ledger_id") REFERENCES "public"."credit_ledger"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_subscriptions_fk" FOREIGN KEY ("subscriptions_id") REFERENCES "public"."subscriptions"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_billing_events_fk" FOREIGN KEY ("billing_events_id") REFERENCES "public"."billing_events"("id") ON DELETE cascade ON UPDATE no action;
  CREATE INDEX "accounts_plan_idx" ON "accounts" USING btree ("plan");
  CREATE INDEX "payload_locked_documents_rels_plans_id_idx" ON "payload_locked_documents_rels" USING btree ("plans_id");
  CREATE INDEX "payload_locked_documents_rels_credit_packs_id_idx" ON "payload_locked_documents_rels" USING btree ("credit_packs_id");
  CREATE INDEX "payload_locked_documents_rels_payments_id_idx" ON "payload_locked_documents_rels" USING btree ("payments_id");
  CREATE INDEX "payload_locked_documents_rels_credit_ledger_id_idx" ON "payload_locked_documents_rels" USING btree ("credit_ledger_id");
  CREATE INDEX "payload_locked_documents_rels_subscriptions_id_idx" ON "payload_locked_documents_rels" USING btree ("subscriptions_id");
  CREATE INDEX "payload_locked_documents_rels_billing_events_id_idx" ON "payload_locked_documents_rels" USING btree ("billing_events_id");
  DROP TYPE "public"."enum_accounts_plan";`)
  await seedCatalogue(db)
}

/**
 * B1 plans and limits: at most one default plan, kept by the database too (the collection's hook
 * moves the mark), and the catalogue as launched: the four plans accounts already hold (their
 * codes were the old enum's values, so no account is left without a plan) and three packs.
 */
async function seedCatalogue(db: MigrateUpArgs['db']): Promise<void> {
  await db.execute(sql`CREATE UNIQUE INDEX "plans_one_default" ON "plans" ((true)) WHERE "is_default"`)
  const rowId = sql`substr(md5(random()::text || clock_timestamp()::text), 1, 24)`
  for (const plan of SEED_PLANS) {
    const { rows } = await db.execute(sql`
      INSERT INTO "plans" ("code", "name_ru", "name_en", "description_ru", "description_en", "active", "is_default", "sort_order",
        "limits_max_projects", "limits_max_connections", "limits_daily_generations", "limits_daily_spend_usd", "monthly_credits")
      VALUES (${plan.code}, ${plan.name.ru}, ${plan.name.en}, ${plan.description.ru}, ${plan.description.en}, true, ${plan.isDefault}, ${plan.sortOrder},
        ${plan.limits.maxProjects}, ${plan.limits.maxConnections}, ${plan.limits.dailyGenerations}, ${plan.limits.dailySpendUsd}, ${plan.monthlyCredits})
      RETURNING "id"`)
    const parent = (rows[0] as { id: number }).id
    for (const [order, price] of plan.prices.entries())
      await db.execute(sql`INSERT INTO "plans_prices" ("_order", "_parent_id", "id", "currency", "amount")
        VALUES (${order + 1}, ${parent}, ${rowId}, ${price.currency}, ${price.amount})`)
  }
  for (const pack of SEED_CREDIT_PACKS) {
    const { rows } = await db.execute(sql`
      INSERT INTO "credit_packs" ("code", "name_ru", "name_en", "credits", "active", "sort_order")
      VALUES (${pack.code}, ${pack.name.ru}, ${pack.name.en}, ${pack.credits}, true, ${pack.sortOrder})
      RETURNING "id"`)
    const parent = (rows[0] as { id: number }).id
    for (const [order, price] of pack.prices.entries())
      await db.execute(sql`INSERT INTO "credit_packs_prices" ("_order", "_parent_id", "id", "currency", "amount")
        VALUES (${order + 1}, ${parent}, ${rowId}, ${price.currency}, ${price.amount})`)
  }
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   CREATE TYPE "public"."enum_accounts_plan" AS ENUM('free', 'starter', 'pro', 'agency');
  ALTER TABLE "plans_prices" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "plans" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "credit_packs_prices" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "credit_packs" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "payments" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "credit_ledger" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "subscriptions" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "billing_events" DISABLE ROW LEVEL SECURITY;
  DROP TABLE "plans_prices" CASCADE;
  DROP TABLE "plans" CASCADE;
  DROP TABLE "credit_packs_prices" CASCADE;
  DROP TABLE "credit_packs" CASCADE;
  DROP TABLE "payments" CASCADE;
  DROP TABLE "credit_ledger" CASCADE;
  DROP TABLE "subscriptions" CASCADE;
  DROP TABLE "billing_events" CASCADE;
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_plans_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_credit_packs_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_payments_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_credit_ledger_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_subscriptions_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_billing_events_fk";
  
  DROP INDEX "accounts_plan_idx";
  DROP INDEX "payload_locked_documents_rels_plans_id_idx";
  DROP INDEX "payload_locked_documents_rels_credit_packs_id_idx";
  DROP INDEX "payload_locked_documents_rels_payments_id_idx";
  DROP INDEX "payload_locked_documents_rels_credit_ledger_id_idx";
  DROP INDEX "payload_locked_documents_rels_subscriptions_id_idx";
  DROP INDEX "payload_locked_documents_rels_billing_events_id_idx";
  ALTER TABLE "accounts" ALTER COLUMN "plan" SET DEFAULT 'free'::"public"."enum_accounts_plan";
  ALTER TABLE "accounts" ALTER COLUMN "plan" SET DATA TYPE "public"."enum_accounts_plan" USING "plan"::"public"."enum_accounts_plan";
  ALTER TABLE "accounts" DROP COLUMN "announcements_off";
  ALTER TABLE "accounts" DROP COLUMN "bot_blocked_at";
  ALTER TABLE "accounts" DROP COLUMN "deleted_at";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "plans_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "credit_packs_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "payments_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "credit_ledger_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "subscriptions_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "billing_events_id";
  DROP TYPE "public"."enum_plans_prices_currency";
  DROP TYPE "public"."enum_credit_packs_prices_currency";
  DROP TYPE "public"."enum_payments_provider";
  DROP TYPE "public"."enum_payments_product_kind";
  DROP TYPE "public"."enum_payments_currency";
  DROP TYPE "public"."enum_payments_status";
  DROP TYPE "public"."enum_credit_ledger_kind";
  DROP TYPE "public"."enum_subscriptions_provider";
  DROP TYPE "public"."enum_subscriptions_status";
  DROP TYPE "public"."enum_billing_events_provider";`)
}

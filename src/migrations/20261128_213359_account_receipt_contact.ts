import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   CREATE TYPE "public"."enum_support_messages_direction" AS ENUM('in', 'out');
  CREATE TYPE "public"."enum_broadcasts_segment_languages" AS ENUM('ru', 'en');
  CREATE TYPE "public"."enum_broadcasts_status" AS ENUM('draft', 'sending', 'done');
  CREATE TYPE "public"."enum_broadcast_deliveries_status" AS ENUM('sending', 'sent', 'failed', 'blocked', 'unknown');
  CREATE TYPE "public"."enum_account_deletions_requested_by" AS ENUM('customer', 'staff');
  CREATE TABLE "support_messages" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"account_id" integer NOT NULL,
  	"direction" "enum_support_messages_direction" DEFAULT 'out' NOT NULL,
  	"text" varchar,
  	"photo_file_id" varchar,
  	"unread" boolean DEFAULT false,
  	"read_at" timestamp(3) with time zone,
  	"staff_user_id" integer,
  	"delivered_at" timestamp(3) with time zone,
  	"delivery_error" varchar,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "broadcasts_segment_languages" (
  	"order" integer NOT NULL,
  	"parent_id" integer NOT NULL,
  	"value" "enum_broadcasts_segment_languages",
  	"id" serial PRIMARY KEY NOT NULL
  );
  
  CREATE TABLE "broadcasts" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"title" varchar NOT NULL,
  	"text_ru" varchar NOT NULL,
  	"text_en" varchar NOT NULL,
  	"button_text_ru" varchar,
  	"button_text_en" varchar,
  	"button_url" varchar,
  	"segment_active_within_days" numeric,
  	"status" "enum_broadcasts_status" DEFAULT 'draft' NOT NULL,
  	"recipients" numeric,
  	"sent" numeric,
  	"failed" numeric,
  	"blocked" numeric,
  	"unknown" numeric,
  	"started_at" timestamp(3) with time zone,
  	"finished_at" timestamp(3) with time zone,
  	"sent_by_id" integer,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "broadcasts_texts" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"order" integer NOT NULL,
  	"parent_id" integer NOT NULL,
  	"path" varchar NOT NULL,
  	"text" varchar
  );
  
  CREATE TABLE "broadcast_deliveries" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"broadcast_id" integer NOT NULL,
  	"recipient_id" integer,
  	"status" "enum_broadcast_deliveries_status" NOT NULL,
  	"error" varchar,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "account_deletions" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"account_id" numeric NOT NULL,
  	"requested_by" "enum_account_deletions_requested_by" NOT NULL,
  	"staff_user_id" integer,
  	"removed" jsonb,
  	"retained" jsonb,
  	"tombstone" boolean,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  ALTER TABLE "accounts" ADD COLUMN "last_seen_at" timestamp(3) with time zone;
  ALTER TABLE "accounts" ADD COLUMN "receipt_contact_email" varchar;
  ALTER TABLE "accounts" ADD COLUMN "receipt_contact_phone" varchar;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "support_messages_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "broadcasts_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "broadcast_deliveries_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "account_deletions_id" integer;
  ALTER TABLE "support_messages" ADD CONSTRAINT "support_messages_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "support_messages" ADD CONSTRAINT "support_messages_staff_user_id_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "broadcasts_segment_languages" ADD CONSTRAINT "broadcasts_segment_languages_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_sent_by_id_users_id_fk" FOREIGN KEY ("sent_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "broadcasts_texts" ADD CONSTRAINT "broadcasts_texts_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "broadcast_deliveries" ADD CONSTRAINT "broadcast_deliveries_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "public"."broadcasts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "broadcast_deliveries" ADD CONSTRAINT "broadcast_deliveries_recipient_id_accounts_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "account_deletions" ADD CONSTRAINT "account_deletions_staff_user_id_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
  CREATE INDEX "support_messages_account_idx" ON "support_messages" USING btree ("account_id");
  CREATE INDEX "support_messages_unread_idx" ON "support_messages" USING btree ("unread");
  CREATE INDEX "support_messages_staff_user_idx" ON "support_messages" USING btree ("staff_user_id");
  CREATE INDEX "support_messages_updated_at_idx" ON "support_messages" USING btree ("updated_at");
  CREATE INDEX "support_messages_created_at_idx" ON "support_messages" USING btree ("created_at");
  CREATE INDEX "broadcasts_segment_languages_order_idx" ON "broadcasts_segment_languages" USING btree ("order");
  CREATE INDEX "broadcasts_segment_languages_parent_idx" ON "broadcasts_segment_languages" USING btree ("parent_id");
  CREATE INDEX "broadcasts_sent_by_idx" ON "broadcasts" USING btree ("sent_by_id");
  CREATE INDEX "broadcasts_updated_at_idx" ON "broadcasts" USING btree ("updated_at");
  CREATE INDEX "broadcasts_created_at_idx" ON "broadcasts" USING btree ("created_at");
  CREATE INDEX "broadcasts_texts_order_parent" ON "broadcasts_texts" USING btree ("order","parent_id");
  CREATE INDEX "broadcast_deliveries_broadcast_idx" ON "broadcast_deliveries" USING btree ("broadcast_id");
  CREATE INDEX "broadcast_deliveries_recipient_idx" ON "broadcast_deliveries" USING btree ("recipient_id");
  CREATE INDEX "broadcast_deliveries_updated_at_idx" ON "broadcast_deliveries" USING btree ("updated_at");
  CREATE INDEX "broadcast_deliveries_created_at_idx" ON "broadcast_deliveries" USING btree ("created_at");
  CREATE UNIQUE INDEX "broadcast_recipient_idx" ON "broadcast_deliveries" USING btree ("broadcast_id","recipient_id");
  CREATE INDEX "account_deletions_account_id_idx" ON "account_deletions" USING btree ("account_id");
  CREATE INDEX "account_deletions_staff_user_idx" ON "account_deletions" USING btree ("staff_user_id");
  CREATE INDEX "account_deletions_updated_at_idx" ON "account_deletions" USING btree ("updated_at");
  CREATE INDEX "account_deletions_created_at_idx" ON "account_deletions" USING btree ("created_at");
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_support_messages_fk" FOREIGN KEY ("support_messages_id") REFERENCES "public"."support_messages"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_broadcasts_fk" FOREIGN KEY ("broadcasts_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_broadcast_deliveries_fk" FOREIGN KEY ("broadcast_deliveries_id") REFERENCES "public"."broadcast_deliveries"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_account_deletions_fk" FOREIGN KEY ("account_deletions_id") REFERENCES "public"."account_deletions"("id") ON DELETE cascade ON UPDATE no action;
  CREATE INDEX "accounts_last_seen_at_idx" ON "accounts" USING btree ("last_seen_at");
  CREATE INDEX "payload_locked_documents_rels_support_messages_id_idx" ON "payload_locked_documents_rels" USING btree ("support_messages_id");
  CREATE INDEX "payload_locked_documents_rels_broadcasts_id_idx" ON "payload_locked_documents_rels" USING btree ("broadcasts_id");
  CREATE INDEX "payload_locked_documents_rels_broadcast_deliveries_id_idx" ON "payload_locked_documents_rels" USING btree ("broadcast_deliveries_id");
  CREATE INDEX "payload_locked_documents_rels_account_deletions_id_idx" ON "payload_locked_documents_rels" USING btree ("account_deletions_id");`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "support_messages" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "broadcasts_segment_languages" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "broadcasts" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "broadcasts_texts" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "broadcast_deliveries" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "account_deletions" DISABLE ROW LEVEL SECURITY;
  DROP TABLE "support_messages" CASCADE;
  DROP TABLE "broadcasts_segment_languages" CASCADE;
  DROP TABLE "broadcasts" CASCADE;
  DROP TABLE "broadcasts_texts" CASCADE;
  DROP TABLE "broadcast_deliveries" CASCADE;
  DROP TABLE "account_deletions" CASCADE;
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_support_messages_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_broadcasts_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_broadcast_deliveries_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_account_deletions_fk";
  
  DROP INDEX "accounts_last_seen_at_idx";
  DROP INDEX "payload_locked_documents_rels_support_messages_id_idx";
  DROP INDEX "payload_locked_documents_rels_broadcasts_id_idx";
  DROP INDEX "payload_locked_documents_rels_broadcast_deliveries_id_idx";
  DROP INDEX "payload_locked_documents_rels_account_deletions_id_idx";
  ALTER TABLE "accounts" DROP COLUMN "last_seen_at";
  ALTER TABLE "accounts" DROP COLUMN "receipt_contact_email";
  ALTER TABLE "accounts" DROP COLUMN "receipt_contact_phone";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "support_messages_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "broadcasts_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "broadcast_deliveries_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "account_deletions_id";
  DROP TYPE "public"."enum_support_messages_direction";
  DROP TYPE "public"."enum_broadcasts_segment_languages";
  DROP TYPE "public"."enum_broadcasts_status";
  DROP TYPE "public"."enum_broadcast_deliveries_status";
  DROP TYPE "public"."enum_account_deletions_requested_by";`)
}

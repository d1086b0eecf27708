import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   CREATE TYPE "public"."enum_ai_runs_outcome" AS ENUM('ok', 'error', 'timeout', 'invalid_output');
  CREATE TYPE "public"."enum_prompts_language" AS ENUM('ru', 'en');
  CREATE TABLE "ai_runs" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"task" varchar NOT NULL,
  	"model" varchar NOT NULL,
  	"prompt_variant" varchar,
  	"outcome" "enum_ai_runs_outcome" NOT NULL,
  	"input_tokens" numeric DEFAULT 0,
  	"output_tokens" numeric DEFAULT 0,
  	"cost_usd" numeric,
  	"latency_ms" numeric,
  	"error" varchar,
  	"account_id" integer,
  	"project_id" integer,
  	"article_id" integer,
  	"post_id" integer,
  	"job_key" varchar,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "prompts" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"name" varchar NOT NULL,
  	"task" varchar NOT NULL,
  	"language" "enum_prompts_language" DEFAULT 'ru' NOT NULL,
  	"variant" varchar DEFAULT 'a' NOT NULL,
  	"weight" numeric DEFAULT 1 NOT NULL,
  	"active" boolean DEFAULT true,
  	"template" varchar NOT NULL,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  CREATE TABLE "_prompts_v" (
  	"id" serial PRIMARY KEY NOT NULL,
  	"parent_id" integer,
  	"version_name" varchar NOT NULL,
  	"version_task" varchar NOT NULL,
  	"version_language" "enum_prompts_language" DEFAULT 'ru' NOT NULL,
  	"version_variant" varchar DEFAULT 'a' NOT NULL,
  	"version_weight" numeric DEFAULT 1 NOT NULL,
  	"version_active" boolean DEFAULT true,
  	"version_template" varchar NOT NULL,
  	"version_updated_at" timestamp(3) with time zone,
  	"version_created_at" timestamp(3) with time zone,
  	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
  	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
  );
  
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "ai_runs_id" integer;
  ALTER TABLE "payload_locked_documents_rels" ADD COLUMN "prompts_id" integer;
  ALTER TABLE "ai_runs" ADD CONSTRAINT "ai_runs_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "ai_runs" ADD CONSTRAINT "ai_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "ai_runs" ADD CONSTRAINT "ai_runs_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "ai_runs" ADD CONSTRAINT "ai_runs_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "_prompts_v" ADD CONSTRAINT "_prompts_v_parent_id_prompts_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."prompts"("id") ON DELETE set null ON UPDATE no action;
  CREATE INDEX "ai_runs_task_idx" ON "ai_runs" USING btree ("task");
  CREATE INDEX "ai_runs_model_idx" ON "ai_runs" USING btree ("model");
  CREATE INDEX "ai_runs_prompt_variant_idx" ON "ai_runs" USING btree ("prompt_variant");
  CREATE INDEX "ai_runs_outcome_idx" ON "ai_runs" USING btree ("outcome");
  CREATE INDEX "ai_runs_account_idx" ON "ai_runs" USING btree ("account_id");
  CREATE INDEX "ai_runs_project_idx" ON "ai_runs" USING btree ("project_id");
  CREATE INDEX "ai_runs_article_idx" ON "ai_runs" USING btree ("article_id");
  CREATE INDEX "ai_runs_post_idx" ON "ai_runs" USING btree ("post_id");
  CREATE INDEX "ai_runs_job_key_idx" ON "ai_runs" USING btree ("job_key");
  CREATE INDEX "ai_runs_updated_at_idx" ON "ai_runs" USING btree ("updated_at");
  CREATE INDEX "ai_runs_created_at_idx" ON "ai_runs" USING btree ("created_at");
  CREATE INDEX "prompts_task_idx" ON "prompts" USING btree ("task");
  CREATE INDEX "prompts_updated_at_idx" ON "prompts" USING btree ("updated_at");
  CREATE INDEX "prompts_created_at_idx" ON "prompts" USING btree ("created_at");
  CREATE UNIQUE INDEX "task_language_variant_idx" ON "prompts" USING btree ("task","language","variant");
  CREATE INDEX "_prompts_v_parent_idx" ON "_prompts_v" USING btree ("parent_id");
  CREATE INDEX "_prompts_v_version_version_task_idx" ON "_prompts_v" USING btree ("version_task");
  CREATE INDEX "_prompts_v_version_version_updated_at_idx" ON "_prompts_v" USING btree ("version_updated_at");
  CREATE INDEX "_prompts_v_version_version_created_at_idx" ON "_prompts_v" USING btree ("version_created_at");
  CREATE INDEX "_prompts_v_created_at_idx" ON "_prompts_v" USING btree ("created_at");
  CREATE INDEX "_prompts_v_updated_at_idx" ON "_prompts_v" USING btree ("updated_at");
  CREATE INDEX "version_task_version_language_version_variant_idx" ON "_prompts_v" USING btree ("version_task","version_language","version_variant");
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_ai_runs_fk" FOREIGN KEY ("ai_runs_id") REFERENCES "public"."ai_runs"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "payload_locked_documents_rels" ADD CONSTRAINT "payload_locked_documents_rels_prompts_fk" FOREIGN KEY ("prompts_id") REFERENCES "public"."prompts"("id") ON DELETE cascade ON UPDATE no action;
  CREATE INDEX "payload_locked_documents_rels_ai_runs_id_idx" ON "payload_locked_documents_rels" USING btree ("ai_runs_id");
  CREATE INDEX "payload_locked_documents_rels_prompts_id_idx" ON "payload_locked_documents_rels" USING btree ("prompts_id");`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "ai_runs" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "prompts" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "_prompts_v" DISABLE ROW LEVEL SECURITY;
  DROP TABLE "ai_runs" CASCADE;
  DROP TABLE "prompts" CASCADE;
  DROP TABLE "_prompts_v" CASCADE;
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_ai_runs_fk";
  
  ALTER TABLE "payload_locked_documents_rels" DROP CONSTRAINT "payload_locked_documents_rels_prompts_fk";
  
  DROP INDEX "payload_locked_documents_rels_ai_runs_id_idx";
  DROP INDEX "payload_locked_documents_rels_prompts_id_idx";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "ai_runs_id";
  ALTER TABLE "payload_locked_documents_rels" DROP COLUMN "prompts_id";
  DROP TYPE "public"."enum_ai_runs_outcome";
  DROP TYPE "public"."enum_prompts_language";`)
}

import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   CREATE TYPE "public"."enum_articles_length_preset" AS ENUM('short', 'medium', 'long', 'xlong');
  CREATE TYPE "public"."enum_articles_generation_state" AS ENUM('idle', 'outline', 'sections', 'finishing', 'done', 'failed');
  CREATE TABLE "articles_internal_links" (
  	"_order" integer NOT NULL,
  	"_parent_id" integer NOT NULL,
  	"id" varchar PRIMARY KEY NOT NULL,
  	"title" varchar NOT NULL,
  	"url" varchar NOT NULL
  );
  
  CREATE TABLE "articles_generation_sections" (
  	"_order" integer NOT NULL,
  	"_parent_id" integer NOT NULL,
  	"id" varchar PRIMARY KEY NOT NULL,
  	"index" numeric NOT NULL,
  	"heading" varchar NOT NULL,
  	"markdown" varchar NOT NULL
  );
  
  CREATE TABLE "_articles_v_version_internal_links" (
  	"_order" integer NOT NULL,
  	"_parent_id" integer NOT NULL,
  	"id" serial PRIMARY KEY NOT NULL,
  	"title" varchar NOT NULL,
  	"url" varchar NOT NULL,
  	"_uuid" varchar
  );
  
  CREATE TABLE "_articles_v_version_generation_sections" (
  	"_order" integer NOT NULL,
  	"_parent_id" integer NOT NULL,
  	"id" serial PRIMARY KEY NOT NULL,
  	"index" numeric NOT NULL,
  	"heading" varchar NOT NULL,
  	"markdown" varchar NOT NULL,
  	"_uuid" varchar
  );
  
  ALTER TABLE "articles" ADD COLUMN "length_preset" "enum_articles_length_preset" DEFAULT 'medium';
  ALTER TABLE "articles" ADD COLUMN "faq_json_ld" jsonb;
  ALTER TABLE "articles" ADD COLUMN "quality_readability" numeric;
  ALTER TABLE "articles" ADD COLUMN "quality_keyword_occurrences" numeric;
  ALTER TABLE "articles" ADD COLUMN "quality_keyword_density" numeric;
  ALTER TABLE "articles" ADD COLUMN "quality_keyword_in_title" boolean;
  ALTER TABLE "articles" ADD COLUMN "quality_keyword_in_h2" boolean;
  ALTER TABLE "articles" ADD COLUMN "quality_keyword_in_first_paragraph" boolean;
  ALTER TABLE "articles" ADD COLUMN "quality_max_similarity" numeric;
  ALTER TABLE "articles" ADD COLUMN "quality_similar_to_id" integer;
  ALTER TABLE "articles" ADD COLUMN "generation_state" "enum_articles_generation_state" DEFAULT 'idle';
  ALTER TABLE "articles" ADD COLUMN "generation_brief" varchar;
  ALTER TABLE "articles" ADD COLUMN "generation_revision_note" varchar;
  ALTER TABLE "articles" ADD COLUMN "generation_error" varchar;
  ALTER TABLE "_articles_v" ADD COLUMN "version_length_preset" "enum_articles_length_preset" DEFAULT 'medium';
  ALTER TABLE "_articles_v" ADD COLUMN "version_faq_json_ld" jsonb;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_readability" numeric;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_keyword_occurrences" numeric;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_keyword_density" numeric;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_keyword_in_title" boolean;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_keyword_in_h2" boolean;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_keyword_in_first_paragraph" boolean;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_max_similarity" numeric;
  ALTER TABLE "_articles_v" ADD COLUMN "version_quality_similar_to_id" integer;
  ALTER TABLE "_articles_v" ADD COLUMN "version_generation_state" "enum_articles_generation_state" DEFAULT 'idle';
  ALTER TABLE "_articles_v" ADD COLUMN "version_generation_brief" varchar;
  ALTER TABLE "_articles_v" ADD COLUMN "version_generation_revision_note" varchar;
  ALTER TABLE "_articles_v" ADD COLUMN "version_generation_error" varchar;
  ALTER TABLE "posts" ADD COLUMN "keyword_id" integer;
  ALTER TABLE "posts" ADD COLUMN "image_note" varchar;
  ALTER TABLE "_posts_v" ADD COLUMN "version_keyword_id" integer;
  ALTER TABLE "_posts_v" ADD COLUMN "version_image_note" varchar;
  ALTER TABLE "media" ADD COLUMN "generated_from" varchar;
  ALTER TABLE "ai_runs" ADD COLUMN "prompt_id" integer;
  ALTER TABLE "articles_internal_links" ADD CONSTRAINT "articles_internal_links_parent_id_fk" FOREIGN KEY ("_parent_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "articles_generation_sections" ADD CONSTRAINT "articles_generation_sections_parent_id_fk" FOREIGN KEY ("_parent_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "_articles_v_version_internal_links" ADD CONSTRAINT "_articles_v_version_internal_links_parent_id_fk" FOREIGN KEY ("_parent_id") REFERENCES "public"."_articles_v"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "_articles_v_version_generation_sections" ADD CONSTRAINT "_articles_v_version_generation_sections_parent_id_fk" FOREIGN KEY ("_parent_id") REFERENCES "public"."_articles_v"("id") ON DELETE cascade ON UPDATE no action;
  CREATE INDEX "articles_internal_links_order_idx" ON "articles_internal_links" USING btree ("_order");
  CREATE INDEX "articles_internal_links_parent_id_idx" ON "articles_internal_links" USING btree ("_parent_id");
  CREATE INDEX "articles_generation_sections_order_idx" ON "articles_generation_sections" USING btree ("_order");
  CREATE INDEX "articles_generation_sections_parent_id_idx" ON "articles_generation_sections" USING btree ("_parent_id");
  CREATE INDEX "_articles_v_version_internal_links_order_idx" ON "_articles_v_version_internal_links" USING btree ("_order");
  CREATE INDEX "_articles_v_version_internal_links_parent_id_idx" ON "_articles_v_version_internal_links" USING btree ("_parent_id");
  CREATE INDEX "_articles_v_version_generation_sections_order_idx" ON "_articles_v_version_generation_sections" USING btree ("_order");
  CREATE INDEX "_articles_v_version_generation_sections_parent_id_idx" ON "_articles_v_version_generation_sections" USING btree ("_parent_id");
  ALTER TABLE "articles" ADD CONSTRAINT "articles_quality_similar_to_id_articles_id_fk" FOREIGN KEY ("quality_similar_to_id") REFERENCES "public"."articles"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "_articles_v" ADD CONSTRAINT "_articles_v_version_quality_similar_to_id_articles_id_fk" FOREIGN KEY ("version_quality_similar_to_id") REFERENCES "public"."articles"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "posts" ADD CONSTRAINT "posts_keyword_id_keywords_id_fk" FOREIGN KEY ("keyword_id") REFERENCES "public"."keywords"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "_posts_v" ADD CONSTRAINT "_posts_v_version_keyword_id_keywords_id_fk" FOREIGN KEY ("version_keyword_id") REFERENCES "public"."keywords"("id") ON DELETE set null ON UPDATE no action;
  ALTER TABLE "ai_runs" ADD CONSTRAINT "ai_runs_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE set null ON UPDATE no action;
  CREATE INDEX "articles_quality_quality_similar_to_idx" ON "articles" USING btree ("quality_similar_to_id");
  CREATE INDEX "_articles_v_version_quality_version_quality_similar_to_idx" ON "_articles_v" USING btree ("version_quality_similar_to_id");
  CREATE INDEX "posts_keyword_idx" ON "posts" USING btree ("keyword_id");
  CREATE INDEX "_posts_v_version_version_keyword_idx" ON "_posts_v" USING btree ("version_keyword_id");
  CREATE INDEX "ai_runs_prompt_idx" ON "ai_runs" USING btree ("prompt_id");`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "articles_internal_links" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "articles_generation_sections" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "_articles_v_version_internal_links" DISABLE ROW LEVEL SECURITY;
  ALTER TABLE "_articles_v_version_generation_sections" DISABLE ROW LEVEL SECURITY;
  DROP TABLE "articles_internal_links" CASCADE;
  DROP TABLE "articles_generation_sections" CASCADE;
  DROP TABLE "_articles_v_version_internal_links" CASCADE;
  DROP TABLE "_articles_v_version_generation_sections" CASCADE;
  ALTER TABLE "articles" DROP CONSTRAINT "articles_quality_similar_to_id_articles_id_fk";
  
  ALTER TABLE "_articles_v" DROP CONSTRAINT "_articles_v_version_quality_similar_to_id_articles_id_fk";
  
  ALTER TABLE "posts" DROP CONSTRAINT "posts_keyword_id_keywords_id_fk";
  
  ALTER TABLE "_posts_v" DROP CONSTRAINT "_posts_v_version_keyword_id_keywords_id_fk";
  
  ALTER TABLE "ai_runs" DROP CONSTRAINT "ai_runs_prompt_id_prompts_id_fk";
  
  DROP INDEX "articles_quality_quality_similar_to_idx";
  DROP INDEX "_articles_v_version_quality_version_quality_similar_to_idx";
  DROP INDEX "posts_keyword_idx";
  DROP INDEX "_posts_v_version_version_keyword_idx";
  DROP INDEX "ai_runs_prompt_idx";
  ALTER TABLE "articles" DROP COLUMN "length_preset";
  ALTER TABLE "articles" DROP COLUMN "faq_json_ld";
  ALTER TABLE "articles" DROP COLUMN "quality_readability";
  ALTER TABLE "articles" DROP COLUMN "quality_keyword_occurrences";
  ALTER TABLE "articles" DROP COLUMN "quality_keyword_density";
  ALTER TABLE "articles" DROP COLUMN "quality_keyword_in_title";
  ALTER TABLE "articles" DROP COLUMN "quality_keyword_in_h2";
  ALTER TABLE "articles" DROP COLUMN "quality_keyword_in_first_paragraph";
  ALTER TABLE "articles" DROP COLUMN "quality_max_similarity";
  ALTER TABLE "articles" DROP COLUMN "quality_similar_to_id";
  ALTER TABLE "articles" DROP COLUMN "generation_state";
  ALTER TABLE "articles" DROP COLUMN "generation_brief";
  ALTER TABLE "articles" DROP COLUMN "generation_revision_note";
  ALTER TABLE "articles" DROP COLUMN "generation_error";
  ALTER TABLE "_articles_v" DROP COLUMN "version_length_preset";
  ALTER TABLE "_articles_v" DROP COLUMN "version_faq_json_ld";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_readability";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_keyword_occurrences";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_keyword_density";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_keyword_in_title";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_keyword_in_h2";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_keyword_in_first_paragraph";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_max_similarity";
  ALTER TABLE "_articles_v" DROP COLUMN "version_quality_similar_to_id";
  ALTER TABLE "_articles_v" DROP COLUMN "version_generation_state";
  ALTER TABLE "_articles_v" DROP COLUMN "version_generation_brief";
  ALTER TABLE "_articles_v" DROP COLUMN "version_generation_revision_note";
  ALTER TABLE "_articles_v" DROP COLUMN "version_generation_error";
  ALTER TABLE "posts" DROP COLUMN "keyword_id";
  ALTER TABLE "posts" DROP COLUMN "image_note";
  ALTER TABLE "_posts_v" DROP COLUMN "version_keyword_id";
  ALTER TABLE "_posts_v" DROP COLUMN "version_image_note";
  ALTER TABLE "media" DROP COLUMN "generated_from";
  ALTER TABLE "ai_runs" DROP COLUMN "prompt_id";
  DROP TYPE "public"."enum_articles_length_preset";
  DROP TYPE "public"."enum_articles_generation_state";`)
}

import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

/**
 * `running` AI calls (charged by their estimate until they settle) and the worker registry: each
 * worker process says every few seconds that it is alive and which graphile-worker pools it runs,
 * so a dead one's jobs and publish slots are released within a minute instead of after
 * graphile-worker's 4-hour lock. The registry is plain runtime state, not a Payload collection,
 * and lives in a schema of its own so Payload's dev push never sees (or drops) it. Written by hand:
 * the `running` value is already in the schema snapshot of 20261128_155245 (generated while this
 * change was in the working tree), so no snapshot goes with this file.
 */
export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   ALTER TYPE "public"."enum_ai_runs_outcome" ADD VALUE 'running' BEFORE 'ok';
  CREATE SCHEMA IF NOT EXISTS "postforge";
  CREATE TABLE "postforge"."worker_processes" (
    "id" text PRIMARY KEY,
    "host" text NOT NULL,
    "pid" integer NOT NULL,
    "jobs_schema" text NOT NULL,
    "pool_ids" text[] NOT NULL DEFAULT '{}',
    "started_at" timestamptz NOT NULL DEFAULT now(),
    "seen_at" timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX "worker_processes_seen_at_idx" ON "postforge"."worker_processes" USING btree ("jobs_schema", "seen_at");`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   DROP SCHEMA "postforge" CASCADE;
  ALTER TABLE "ai_runs" ALTER COLUMN "outcome" SET DATA TYPE text;
  UPDATE "ai_runs" SET "outcome" = 'error' WHERE "outcome" = 'running';
  DROP TYPE "public"."enum_ai_runs_outcome";
  CREATE TYPE "public"."enum_ai_runs_outcome" AS ENUM('ok', 'error', 'timeout', 'invalid_output');
  ALTER TABLE "ai_runs" ALTER COLUMN "outcome" SET DATA TYPE "public"."enum_ai_runs_outcome" USING "outcome"::"public"."enum_ai_runs_outcome";`)
}

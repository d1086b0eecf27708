import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

/**
 * The credit ledger is append-only in the database too, not only through Payload's access rules:
 * a row cannot be deleted, and an update may only clear what a foreign key clears (the account,
 * staff member or payment it pointed at being deleted, ON DELETE SET NULL). The idempotency key
 * is no longer NOT NULL in the schema (APIs would demand it); every write path sets one.
 */
export async function up({ db }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "credit_ledger" ALTER COLUMN "idempotency_key" DROP NOT NULL;
   CREATE OR REPLACE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'DELETE' THEN
       RAISE EXCEPTION 'credit_ledger is append-only: rows are never deleted' USING ERRCODE = '42501';
     END IF;
     IF (to_jsonb(NEW) - 'account_id' - 'staff_user_id' - 'payment_id' - 'updated_at')
          IS DISTINCT FROM (to_jsonb(OLD) - 'account_id' - 'staff_user_id' - 'payment_id' - 'updated_at')
        OR (NEW.account_id IS NOT NULL AND NEW.account_id IS DISTINCT FROM OLD.account_id)
        OR (NEW.staff_user_id IS NOT NULL AND NEW.staff_user_id IS DISTINCT FROM OLD.staff_user_id)
        OR (NEW.payment_id IS NOT NULL AND NEW.payment_id IS DISTINCT FROM OLD.payment_id) THEN
       RAISE EXCEPTION 'credit_ledger is append-only: rows are never changed' USING ERRCODE = '42501';
     END IF;
     RETURN NEW;
   END $$;
   CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON "credit_ledger"
     FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();`)
}

export async function down({ db }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   DROP TRIGGER IF EXISTS credit_ledger_append_only ON "credit_ledger";
   DROP FUNCTION IF EXISTS credit_ledger_append_only();
   ALTER TABLE "credit_ledger" ALTER COLUMN "idempotency_key" SET NOT NULL;`)
}

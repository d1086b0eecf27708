import * as migration_20261124_141454_initial from './20261124_141454_initial';
import * as migration_20261124_143650_ai_runs_prompts from './20261124_143650_ai_runs_prompts';
import * as migration_20261124_152341_publication_slot_key from './20261124_152341_publication_slot_key';
import * as migration_20261124_190342_ai_generation from './20261124_190342_ai_generation';
import * as migration_20261128_155107_publication_marker from './20261128_155107_publication_marker';
import * as migration_20261128_155245_users_no_lockout from './20261128_155245_users_no_lockout';
import * as migration_20261128_161500_worker_liveness from './20261128_161500_worker_liveness';
import * as migration_20261128_212805_backups from './20261128_212805_backups';
import * as migration_20261128_213035_plans_and_credit_packs from './20261128_213035_plans_and_credit_packs';
import * as migration_20261128_213359_account_receipt_contact from './20261128_213359_account_receipt_contact';
import * as migration_20261128_214954_credit_ledger_append_only from './20261128_214954_credit_ledger_append_only';
import * as migration_20261128_215222_money_records_outlive_accounts from './20261128_215222_money_records_outlive_accounts';
import * as migration_20261128_224042_free_plan_credits from './20261128_224042_free_plan_credits';
import * as migration_20261128_232045_sections_posted from './20261128_232045_sections_posted';

export const migrations = [
  {
    up: migration_20261124_141454_initial.up,
    down: migration_20261124_141454_initial.down,
    name: '20261124_141454_initial',
  },
  {
    up: migration_20261124_143650_ai_runs_prompts.up,
    down: migration_20261124_143650_ai_runs_prompts.down,
    name: '20261124_143650_ai_runs_prompts',
  },
  {
    up: migration_20261124_152341_publication_slot_key.up,
    down: migration_20261124_152341_publication_slot_key.down,
    name: '20261124_152341_publication_slot_key',
  },
  {
    up: migration_20261124_190342_ai_generation.up,
    down: migration_20261124_190342_ai_generation.down,
    name: '20261124_190342_ai_generation',
  },
  {
    up: migration_20261128_155107_publication_marker.up,
    down: migration_20261128_155107_publication_marker.down,
    name: '20261128_155107_publication_marker',
  },
  {
    up: migration_20261128_155245_users_no_lockout.up,
    down: migration_20261128_155245_users_no_lockout.down,
    name: '20261128_155245_users_no_lockout',
  },
  {
    up: migration_20261128_161500_worker_liveness.up,
    down: migration_20261128_161500_worker_liveness.down,
    name: '20261128_161500_worker_liveness',
  },
  {
    up: migration_20261128_212805_backups.up,
    down: migration_20261128_212805_backups.down,
    name: '20261128_212805_backups',
  },
  {
    up: migration_20261128_213035_plans_and_credit_packs.up,
    down: migration_20261128_213035_plans_and_credit_packs.down,
    name: '20261128_213035_plans_and_credit_packs',
  },
  {
    up: migration_20261128_213359_account_receipt_contact.up,
    down: migration_20261128_213359_account_receipt_contact.down,
    name: '20261128_213359_account_receipt_contact',
  },
  {
    up: migration_20261128_214954_credit_ledger_append_only.up,
    down: migration_20261128_214954_credit_ledger_append_only.down,
    name: '20261128_214954_credit_ledger_append_only',
  },
  {
    up: migration_20261128_215222_money_records_outlive_accounts.up,
    down: migration_20261128_215222_money_records_outlive_accounts.down,
    name: '20261128_215222_money_records_outlive_accounts',
  },
  {
    up: migration_20261128_224042_free_plan_credits.up,
    down: migration_20261128_224042_free_plan_credits.down,
    name: '20261128_224042_free_plan_credits',
  },
  {
    up: migration_20261128_232045_sections_posted.up,
    down: migration_20261128_232045_sections_posted.down,
    name: '20261128_232045_sections_posted'
  },
];

/**
 * graphile-worker schemas the tests use. Migrating a fresh schema announces a "breaking
 * migration" to every runner listening on the database (they shut down), so all of them are
 * migrated once in the global set-up, before any test file starts a runner.
 */
export const WORKER_SCHEMAS = ['graphile_worker', 'pf_test_crash', 'pf_test_faults', 'pf_test_publish_vk', 'pf_test_publish_wordpress', 'pf_test_unconfirmed', 'pf_test_outbox', 'pf_test_review_notice', 'pf_test_bot_connections', 'pf_test_bot_console', 'pf_test_publish_telegram', 'pf_test_publish_instagram', 'pf_test_publish_pinterest', 'pf_test_publish_links', 'pf_test_bot_retry', 'pf_test_alerts', 'pf_test_support', 'pf_test_broadcast', 'pf_test_privacy' /* O8 */, 'pf_test_observability', 'pf_test_observability_traces', 'pf_test_observability_metrics', 'pf_test_plans_limits', 'pf_test_billing_credits'] as const

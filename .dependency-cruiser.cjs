/**
 * The import rule between Postforge's layers, checked by `npm run lint:deps` (part of `npm test`).
 *
 * Layers, from the bottom up; an import may only run downwards (or stay in its own folder):
 *
 *   lib/         tools with no business meaning (env, logger, Redis, crypto, text, time zones).
 *                Imports nothing of ours outside lib/.
 *   i18n/        the customer texts and the language of a request. Imports only lib/.
 *   telegram/    the low-level Telegram Bot API layer: the one client factory, pacing and 429
 *                handling, the admin bot console's transport and store. Imports only lib/.
 *   http/        refusals with a code (AppError, translated) and the guard in front of Payload's
 *                REST and GraphQL. Imports only lib/ and i18n/.
 *   domain       what Postforge is about, whoever asks (admin, REST, bot, worker): accounts,
 *                access, ai, collections, connections, content, fields, keywords, media, notify
 *                (notice events), oauth, projects, publishing, scheduling, usage, workflow.
 *                May use everything above (lib, i18n, telegram, http), payload-types, and the job
 *                contracts (src/jobs/contracts.ts, src/jobs/addJob.ts: the leaf the domain
 *                queues work with); nothing else of jobs/.
 *   faces and    bot/ (the Telegram bot), app/ (Next routes), components/ (admin React),
 *   composition  jobs/ (the worker: tasks that call domain use cases and the bot's renderers),
 *                ops/ (health and metrics, reading the queue through the jobs' functions),
 *                seed/, payload.config.ts, instrumentation.ts, proxy.ts. They may import
 *                anything below them; nothing below imports them.
 *
 * A "back-running import" is one that breaks these rules. Issue 15's baseline (commit af99343)
 * had 23 by this config; see README, "What is where".
 */
/** The domain folders (see above). */
const DOMAIN = ['accounts', 'access', 'ai', 'billing', 'broadcasts', 'collections', 'connections', 'content', 'fields', 'keywords', 'media', 'notify', 'oauth', 'privacy', 'projects', 'publishing', 'scheduling', 'support', 'usage', 'workflow']
/** The domain and the layers it stands on, but lib/ (which has its own, stricter rule). */
const BELOW_FACES = `^src/(${[...DOMAIN, 'i18n', 'http', 'telegram'].join('|')})/`
const UPPER = '^src/(bot|app|components|ops|seed)/|^src/(payload\\.config|instrumentation|proxy)\\.ts$'
const JOB_CONTRACTS = '^src/jobs/(contracts|addJob)\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-a-face',
      comment:
        'The domain (and the layers below it) must not import the bot, the app, the admin components, ops, seed or the config: ' +
        'put what both need in the domain (or telegram/ for Bot API plumbing) and let the face import it.',
      severity: 'error',
      from: { path: BELOW_FACES },
      to: { path: UPPER },
    },
    {
      name: 'domain-imports-job-internals',
      comment:
        'The domain queues work through the job contracts (src/jobs/contracts.ts) and addJob ' +
        '(src/jobs/addJob.ts) only; tasks, the worker and queue internals are the composition layer.',
      severity: 'error',
      from: { path: BELOW_FACES },
      to: { path: '^src/jobs/', pathNot: JOB_CONTRACTS },
    },
    {
      name: 'lib-imports-outside-lib',
      comment: 'lib/ is the bottom layer: it imports nothing of ours outside lib/.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'i18n-imports-beyond-lib',
      comment: 'i18n/ (customer texts) imports only lib/: every layer above may translate.',
      severity: 'error',
      from: { path: '^src/i18n/' },
      to: { path: '^src/', pathNot: '^src/(i18n|lib)/' },
    },
    {
      name: 'http-imports-beyond-lib-and-i18n',
      comment: 'http/ (AppError and the REST/GraphQL guard) imports only lib/ and i18n/: the domain and the faces both use it.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/', pathNot: '^src/(http|i18n|lib)/' },
    },
    {
      name: 'telegram-imports-beyond-lib',
      comment: 'src/telegram is the low-level Bot API layer: it imports only lib/ (and grammY).',
      severity: 'error',
      from: { path: '^src/telegram/' },
      to: { path: '^src/', pathNot: '^src/(telegram|lib)/' },
    },
    {
      name: 'job-contracts-are-a-leaf',
      comment:
        'The job contracts are what the domain imports to queue work: they import only lib/, ' +
        'telegram/ and small domain leaves, never the worker, tasks, the bot or the app.',
      severity: 'error',
      from: { path: JOB_CONTRACTS },
      to: { path: `${UPPER}|^src/jobs/`, pathNot: `${JOB_CONTRACTS}|^src/jobs/queue\\.ts$` },
    },
    {
      name: 'config-loads-the-bot',
      comment:
        'Loading the Payload config (every web request, every script) must not load the bot: the ' +
        'bot console endpoints are the one bot module it may import, and they reach the bot only ' +
        'through a dynamic import when a staff member uses the console.',
      severity: 'error',
      from: { path: '^src/(payload\\.config\\.ts$|bot/console/endpoints\\.ts$)' },
      to: { path: '^src/bot/', pathNot: '^src/bot/console/endpoints\\.ts$', dependencyTypesNot: ['dynamic-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: '^src/payload-types\\.ts$|^src/migrations/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}

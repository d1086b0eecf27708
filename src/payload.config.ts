import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { postgresAdapter } from '@payloadcms/db-postgres'
import { lexicalEditor } from '@payloadcms/richtext-lexical'
import { en } from '@payloadcms/translations/languages/en'
import { ru } from '@payloadcms/translations/languages/ru'
import { buildConfig } from 'payload'
import { openapi, swaggerUI } from 'payload-oapi'
import sharp from 'sharp'

import { Accounts } from './collections/Accounts'
import { AiRuns } from './collections/AiRuns'
import { Backups } from './collections/Backups' // O7 backups
import { Articles } from './collections/Articles'
import { Connections } from './collections/Connections'
import { CreditPacks } from './collections/CreditPacks' // B1 plans and limits
import { Keywords } from './collections/Keywords'
import { Media } from './collections/Media'
import { Plans } from './collections/Plans' // B1 plans and limits
import { Posts } from './collections/Posts'
import { Projects } from './collections/Projects'
import { Prompts } from './collections/Prompts'
import { Publications } from './collections/Publications'
import { Schedules } from './collections/Schedules'
import { Users } from './collections/Users'
import { WorkflowEvents } from './collections/WorkflowEvents'
// O8 staff tools: support, announcements, data rights
import { AccountDeletions } from './collections/AccountDeletions'
import { BroadcastDeliveries } from './collections/BroadcastDeliveries'
import { Broadcasts } from './collections/Broadcasts'
import { SupportMessages } from './collections/SupportMessages'
// B2 ledger and payments
import { BillingEvents } from './collections/BillingEvents'
import { CreditLedger } from './collections/CreditLedger'
import { Payments } from './collections/Payments'
import { Subscriptions } from './collections/Subscriptions'
import { guardPayloadCollections, guardTenancy } from './collections/guard'
import { botConsoleEndpoints } from './bot/console/endpoints'
import { jobEndpoints } from './jobs/endpoints'
import { dashboardEndpoints } from './ops/dashboard'
import { accountCreditsEndpoints } from './ops/accountCredits'
import { withBillingAdmin } from './components/admin/billing/collections'
import { surviveDatabaseRestarts } from './lib/boot'
import { env } from './lib/env'
import { answerInputErrorsWith4xx } from './http/errors'
import { logger } from './lib/logger'
import { migrations } from './migrations'

const dirname = path.dirname(fileURLToPath(import.meta.url))
const config = env()

export default guardPayloadCollections(buildConfig({
  serverURL: config.SERVER_URL,
  secret: config.PAYLOAD_SECRET,
  telemetry: false,
  logger: logger(),
  // No `loggingLevels`: they key on class names, which `next build` minifies; the logger itself
  // writes refusals (4xx) at info without a stack, by status (src/lib/logger.ts).
  hooks: { afterError: [answerInputErrorsWith4xx] },
  // Web, bot and worker share Payload's pool: a PostgreSQL restart must not kill any of them.
  onInit: (payload) => surviveDatabaseRestarts(payload.db.pool, logger(), 'payload'),
  admin: {
    user: Users.slug,
    avatar: 'default',
    importMap: { baseDir: dirname },
    meta: { titleSuffix: ' · Postforge' },
    components: {
      beforeDashboard: [
        '/components/admin/ReviewQueue#ReviewQueue',
        '/components/admin/PublishingAlerts#PublishingAlerts',
        // A5 admin: the dashboard's charts (src/ops/dashboard.ts)
        '/components/admin/dashboard/Dashboard#Dashboard',
      ],
      afterNavLinks: ['/components/admin/JobsNavLink#JobsNavLink', '/components/admin/BotConsoleNavLink#BotConsoleNavLink', '/components/admin/SupportNavLink#SupportNavLink' /* O8 */],
      views: {
        jobs: { Component: '/components/admin/JobsView#JobsView', path: '/jobs' },
        botConsole: { Component: '/components/admin/BotConsoleView#BotConsoleView', path: '/bot-console' },
        supportInbox: { Component: '/components/admin/SupportInboxView#SupportInboxView', path: '/support' }, // O8 staff tools
      },
    },
  },
  i18n: { supportedLanguages: { ru, en }, fallbackLanguage: 'en' },
  // A5 admin: billing screens (refund, ledger, payment filters) put onto the billing collections
  collections: guardTenancy(withBillingAdmin([
    Users,
    Accounts,
    Projects,
    Keywords,
    Articles,
    Posts,
    Media,
    Connections,
    Schedules,
    Publications,
    WorkflowEvents,
    AiRuns,
    Prompts,
    Plans, // B1 plans and limits (Billing)
    CreditPacks, // B1 plans and limits (Billing)
    Payments, // B2 ledger and payments (src/billing)
    CreditLedger, // B2
    Subscriptions, // B2
    BillingEvents, // B2
    Backups, // O7 backups (src/ops/backup.ts)
    SupportMessages, // O8 staff tools (src/support)
    Broadcasts, // O8 (src/broadcasts)
    BroadcastDeliveries, // O8
    AccountDeletions, // O8 (src/privacy)
  ])),
  endpoints: [...jobEndpoints, ...botConsoleEndpoints, ...dashboardEndpoints, ...accountCreditsEndpoints /* A5 admin */],
  editor: lexicalEditor(),
  db: postgresAdapter({
    // A PostgreSQL that does not answer (a cut link) fails a query within seconds, as one that
    // refuses does, instead of holding the request until the caller gives up.
    pool: { connectionString: config.DATABASE_URL, max: config.DB_POOL_MAX, connectionTimeoutMillis: 3_000 },
    push: config.PAYLOAD_DB_PUSH,
    migrationDir: path.resolve(dirname, 'migrations'),
    prodMigrations: migrations,
  }),
  sharp,
  plugins: [
    // The REST API described for partners: /api/openapi.json, browsable at /api/docs.
    openapi({
      openapiVersion: '3.0',
      metadata: { title: 'Postforge API', version: '1.0.0', description: 'Authenticate with `Authorization: accounts API-Key <key>`.' },
      filters: { hideInternalCollections: true },
    }),
    swaggerUI({}),
  ],
  graphQL: { disablePlaygroundInProduction: true },
  // Types are generated on purpose (`npm run generate:types`), never as a side effect of
  // getPayload: that spawned a detached writer of src/payload-types.ts in every process.
  // `npm test` fails when the committed types or import map are out of date.
  typescript: { outputFile: path.resolve(dirname, 'payload-types.ts'), autoGenerate: false },
}))

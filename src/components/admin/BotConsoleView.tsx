import { DefaultTemplate } from '@payloadcms/next/templates'
import { Gutter } from '@payloadcms/ui'
import type { AdminViewServerProps } from 'payload'
import React from 'react'

import { isStaff } from '../../access/actors'
import { env } from '../../lib/env'
import { BotConsole } from './BotConsole'

/**
 * /admin/bot-console: staff chat with the real bot as a test customer, in the browser. Works
 * with no Telegram token (the console answers the bot's API calls for its own chat).
 */
export async function BotConsoleView({ initPageResult, params, searchParams }: AdminViewServerProps) {
  const { req, permissions, locale, visibleEntities } = initPageResult
  const staff = isStaff(req)
  return (
    <DefaultTemplate
      i18n={req.i18n}
      locale={locale}
      params={params}
      payload={req.payload}
      permissions={permissions}
      searchParams={searchParams}
      user={req.user ?? undefined}
      visibleEntities={visibleEntities}
    >
      <Gutter>
        <h1>Bot console</h1>
        {staff ? (
          <>
            <p style={{ maxWidth: 720, opacity: 0.8 }}>
              You are a test customer of the real bot: the same features, sessions and limits as in
              Telegram{env().TELEGRAM_BOT_TOKEN ? '' : ' (no Telegram token is configured; the console still works)'}.
              Jobs the worker runs report back here.
            </p>
            <BotConsole />
          </>
        ) : (
          <p>Staff only.</p>
        )}
      </Gutter>
    </DefaultTemplate>
  )
}

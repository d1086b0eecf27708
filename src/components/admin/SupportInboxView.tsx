import { DefaultTemplate } from '@payloadcms/next/templates'
import { Gutter } from '@payloadcms/ui'
import type { AdminViewServerProps } from 'payload'
import React from 'react'

import type { User } from '../../payload-types'
import { openThread, supportThreads } from '../../support/messages'
import { SupportReplyForm } from './SupportReplyForm'

const cell = { padding: 8, verticalAlign: 'top' } as const
const when = (iso: string) => iso.replace('T', ' ').slice(0, 16)

/**
 * /admin/support: the support inbox. Left, one row per customer who wrote, those with unread
 * messages first (then the latest); opening a thread shows it oldest first, marks it read, and
 * has the reply box. Replies are delivered through the notice outbox; "delivered" shows when
 * Telegram took them.
 */
export async function SupportInboxView({ initPageResult, params, searchParams }: AdminViewServerProps) {
  const { req, permissions, locale, visibleEntities } = initPageResult
  const user = req.user as (User & { collection?: string }) | null
  const allowed = user?.collection === 'users' && (user.roles ?? []).some((r) => r === 'admin' || r === 'support')
  const selected = Number(searchParams?.account)
  const threads = allowed ? await supportThreads(req.payload) : []
  const messages = allowed && Number.isSafeInteger(selected) && selected > 0 ? await openThread(req.payload, user!, selected) : null
  const current = threads.find((t) => t.accountId === selected)
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
        <h1>Support inbox</h1>
        {!allowed ? (
          <p>Staff with the admin or support role only.</p>
        ) : (
          <div style={{ display: 'grid', gridTemplateColumns: 'minmax(260px, 1fr) 2fr', gap: 24, alignItems: 'start' }}>
            <table style={{ width: '100%', borderCollapse: 'collapse' }} data-testid="support-threads">
              <thead>
                <tr>
                  <th align="left">Customer</th>
                  <th align="left">Unread</th>
                  <th align="left">Last (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {threads.length === 0 && (
                  <tr>
                    <td style={cell} colSpan={3}>
                      No customer has written to support yet.
                    </td>
                  </tr>
                )}
                {threads.map((t) => (
                  <tr
                    key={t.accountId}
                    style={{ borderTop: '1px solid var(--theme-elevation-100)', fontWeight: t.unread > 0 ? 700 : 400, background: t.accountId === selected ? 'var(--theme-elevation-50)' : undefined }}
                  >
                    <td style={cell}>
                      <a href={`/admin/support?account=${t.accountId}`}>{t.name}</a>
                      <div style={{ fontWeight: 400, opacity: 0.7, maxWidth: 280, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{t.lastText}</div>
                    </td>
                    <td style={cell}>{t.unread > 0 ? `● ${t.unread}` : ''}</td>
                    <td style={cell}>{when(t.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <section aria-label="Thread">
              {messages === null ? (
                <p>Choose a customer on the left.</p>
              ) : (
                <>
                  <h2>
                    {current?.name ?? `Account #${selected}`}{' '}
                    <a href={`/admin/collections/accounts/${selected}`} style={{ fontSize: 14, fontWeight: 400 }}>
                      account
                    </a>
                  </h2>
                  <ol style={{ listStyle: 'none', padding: 0 }} data-testid="support-thread">
                    {messages.map((m) => (
                      <li
                        key={m.id}
                        style={{
                          margin: '8px 0',
                          padding: 12,
                          borderRadius: 8,
                          maxWidth: '80%',
                          marginLeft: m.direction === 'out' ? 'auto' : 0,
                          background: m.direction === 'out' ? 'var(--theme-success-100)' : 'var(--theme-elevation-100)',
                        }}
                      >
                        <div style={{ fontSize: 12, opacity: 0.7 }}>
                          {m.direction === 'out' ? 'Staff' : 'Customer'} · {when(m.createdAt)}
                          {m.direction === 'out' && (m.deliveredAt ? ` · delivered ${when(m.deliveredAt)}` : m.deliveryError ? ` · not delivered: ${m.deliveryError}` : ' · sending…')}
                        </div>
                        {m.photoFileId && (
                          // eslint-disable-next-line @next/next/no-img-element
                          <img src={`/api/support-messages/${m.id}/photo`} alt="Photo from the customer" style={{ maxWidth: 320, display: 'block', margin: '6px 0' }} />
                        )}
                        <div style={{ whiteSpace: 'pre-wrap' }}>{m.text}</div>
                      </li>
                    ))}
                  </ol>
                  <SupportReplyForm accountId={selected} />
                </>
              )}
            </section>
          </div>
        )}
      </Gutter>
    </DefaultTemplate>
  )
}

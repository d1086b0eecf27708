import type { Payload, TypedUser } from 'payload'
import React from 'react'

import { PublicationActions } from './PublicationActions'

type Props = { payload: Payload; user?: TypedUser | null }

/**
 * Under the review queue: publications that need a person (failed or unconfirmed, with the
 * decision at hand for editors) and connections that need reconnecting, newest first, each
 * linked to the item.
 */
export async function PublishingAlerts({ payload, user }: Props) {
  if (!user || user.collection !== 'users') return null
  const [publications, connections] = await Promise.all([
    payload.find({
      collection: 'publications',
      where: { status: { in: ['failed', 'unconfirmed'] } },
      sort: '-updatedAt',
      limit: 20,
      depth: 1,
      overrideAccess: false,
      user,
    }),
    payload.find({
      collection: 'connections',
      where: { status: { equals: 'needs_reconnect' } },
      sort: '-updatedAt',
      limit: 20,
      depth: 1,
      overrideAccess: false,
      user,
    }),
  ])
  if (publications.totalDocs === 0 && connections.totalDocs === 0) return null
  const canSettle = (user.roles ?? []).some((role) => role === 'admin' || role === 'editor')
  const title = (value: unknown) => (value && typeof value === 'object' ? String((value as { title?: string; displayName?: string; name?: string }).title ?? (value as { displayName?: string }).displayName ?? (value as { name?: string }).name ?? '') : '')
  return (
    <section className="publishing-alerts" aria-labelledby="publishing-alerts-title" style={{ marginBottom: 'calc(var(--base) * 2)' }}>
      <h2 id="publishing-alerts-title">Needs attention</h2>
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {publications.docs.map((p) => (
          <li key={`p${p.id}`} style={{ padding: '6px 0', borderTop: '1px solid var(--theme-elevation-100)' }}>
            <a href={`/admin/collections/publications/${p.id}`}>
              {p.status === 'failed' ? 'Failed' : 'Unconfirmed'}: {title(p.article) || title(p.post)} → {title(p.connection)}
            </a>
            {p.lastError && <div style={{ opacity: 0.8 }}>{p.lastError}</div>}
            {canSettle && <PublicationActions id={p.id} status={p.status as 'failed' | 'unconfirmed'} title={title(p.article) || title(p.post)} />}
          </li>
        ))}
        {connections.docs.map((c) => (
          <li key={`c${c.id}`} style={{ padding: '6px 0', borderTop: '1px solid var(--theme-elevation-100)' }}>
            <a href={`/admin/collections/connections/${c.id}`}>Reconnect: {c.displayName} ({c.platform}), {title(c.project)}</a>
            {c.lastError && <div style={{ opacity: 0.8 }}>{c.lastError}</div>}
          </li>
        ))}
      </ul>
    </section>
  )
}

import type { Payload, TypedUser } from 'payload'
import React from 'react'

import { ReviewActions } from './ReviewActions'

type Props = { payload: Payload; user?: TypedUser | null }

type QueueItem = {
  collection: 'articles' | 'posts'
  id: number | string
  title: string
  projectName: string
  submittedAt: string | null
  reviewNote?: string | null
}

async function loadQueue(payload: Payload, user: TypedUser): Promise<QueueItem[]> {
  const query = (collection: 'articles' | 'posts') =>
    payload.find({
      collection,
      where: { workflowStatus: { equals: 'in_review' } },
      sort: 'submittedAt',
      limit: 50,
      depth: 1,
      overrideAccess: false,
      user,
    })
  const [articles, posts] = await Promise.all([query('articles'), query('posts')])
  const toItem =
    (collection: QueueItem['collection']) =>
    (doc: { id: number | string; title?: string | null; project?: unknown; submittedAt?: string | null; reviewNote?: string | null }) => ({
      collection,
      id: doc.id,
      title: doc.title ?? `#${doc.id}`,
      projectName: typeof doc.project === 'object' && doc.project ? String((doc.project as { name?: string }).name) : '',
      submittedAt: doc.submittedAt ?? null,
      reviewNote: doc.reviewNote,
    })
  return [...articles.docs.map(toItem('articles')), ...posts.docs.map(toItem('posts'))].sort((a, b) =>
    String(a.submittedAt ?? '').localeCompare(String(b.submittedAt ?? '')),
  )
}

function waitingFor(submittedAt: string | null): string {
  if (!submittedAt) return ''
  const minutes = Math.max(0, Math.round((Date.now() - new Date(submittedAt).getTime()) / 60000))
  if (minutes < 60) return `${minutes} min`
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`
  return `${Math.round(minutes / 1440)} d`
}

/** The first thing staff see: everything waiting for review, oldest first, with the decision at hand. */
export async function ReviewQueue({ payload, user }: Props) {
  if (!user || user.collection !== 'users') return null
  const items = await loadQueue(payload, user)
  const canDecide = (user.roles ?? []).some((role) => role === 'admin' || role === 'editor')
  return (
    <section className="review-queue" aria-labelledby="review-queue-title" style={{ marginBottom: 'calc(var(--base) * 2)' }}>
      <h2 id="review-queue-title">Review queue ({items.length})</h2>
      {items.length === 0 ? (
        <p className="review-queue__empty">Nothing is waiting for review.</p>
      ) : (
        <table className="table" style={{ width: '100%', borderCollapse: 'collapse' }}>
          <thead>
            <tr>
              <th align="left">Item</th>
              <th align="left">Project</th>
              <th align="left">Waiting</th>
              {canDecide && <th align="left">Decision</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={`${item.collection}-${item.id}`} data-testid={`review-${item.collection}-${item.id}`}>
                <td style={{ padding: '8px 8px 8px 0', verticalAlign: 'top' }}>
                  <a href={`/admin/collections/${item.collection}/${item.id}`}>{item.title}</a>
                  <div style={{ opacity: 0.7, fontSize: '0.85em' }}>{item.collection === 'articles' ? 'Article' : 'Post'}</div>
                </td>
                <td style={{ padding: 8, verticalAlign: 'top' }}>{item.projectName}</td>
                <td style={{ padding: 8, verticalAlign: 'top' }} title={item.submittedAt ?? ''}>
                  {waitingFor(item.submittedAt)}
                </td>
                {canDecide && (
                  <td style={{ padding: 8, verticalAlign: 'top' }}>
                    <ReviewActions collection={item.collection} id={item.id} title={item.title} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

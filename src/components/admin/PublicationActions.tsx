'use client'

import { useRouter } from 'next/navigation'
import React, { useState } from 'react'

type Props = { id: number | string; status: 'failed' | 'unconfirmed'; title: string }

/**
 * Staff settle a publication from the dashboard: an unconfirmed one is published (someone saw
 * it on the platform) or sent again after a warning that a second copy may appear; a failed one
 * is sent again. The collection's hooks decide and record who did it.
 */
export function PublicationActions({ id, status, title }: Props) {
  const router = useRouter()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function settle(to: 'published' | 'queued') {
    if (to === 'queued' && status === 'unconfirmed' && !window.confirm(`We don't know whether "${title}" went out. Publishing it again may make a second copy. Check the platform first. Publish again?`)) return
    setBusy(true)
    setError(null)
    try {
      const res = await fetch(`/api/publications/${id}`, {
        method: 'PATCH',
        credentials: 'include',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ status: to }),
      })
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { errors?: { message?: string }[] } | null
        setError(body?.errors?.[0]?.message ?? `Request failed (${res.status})`)
        return
      }
      router.refresh()
    } finally {
      setBusy(false)
    }
  }

  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center', marginTop: 4 }}>
      {status === 'unconfirmed' && (
        <button type="button" className="btn btn--style-primary btn--size-small" style={{ margin: 0 }} disabled={busy} onClick={() => settle('published')} aria-label={`Mark ${title} published`}>
          It is published
        </button>
      )}
      <button type="button" className="btn btn--style-secondary btn--size-small" style={{ margin: 0 }} disabled={busy} onClick={() => settle('queued')} aria-label={`Publish ${title} again`}>
        Publish again
      </button>
      {error && (
        <span role="alert" style={{ color: 'var(--theme-error-500)' }}>
          {error}
        </span>
      )}
    </div>
  )
}

'use client'

import { useRouter } from 'next/navigation'
import React, { useState } from 'react'

type Props = { collection: 'articles' | 'posts'; id: number | string; title: string }

/** Approve, or request changes with a note; the server's workflow rules decide and explain. */
export function ReviewActions({ collection, id, title }: Props) {
  const router = useRouter()
  const [note, setNote] = useState('')
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function move(to: 'approved' | 'changes_requested') {
    setBusy(true)
    setError(null)
    try {
      const res = await fetch(`/api/${collection}/${id}/move`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(to === 'changes_requested' ? { to, note } : { to }),
      })
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { errors?: { message?: string }[] } | null
        setError(body?.errors?.[0]?.message ?? `Request failed (${res.status})`)
        return
      }
      setAsking(false)
      setNote('')
      router.refresh()
    } finally {
      setBusy(false)
    }
  }

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8, minWidth: 260 }}>
      <div style={{ display: 'flex', gap: 8 }}>
        <button type="button" className="btn btn--style-primary btn--size-small" style={{ margin: 0 }} disabled={busy} onClick={() => move('approved')} aria-label={`Approve ${title}`}>
          Approve
        </button>
        <button type="button" className="btn btn--style-secondary btn--size-small" style={{ margin: 0 }} disabled={busy} onClick={() => setAsking((v) => !v)} aria-label={`Request changes to ${title}`}>
          Request changes
        </button>
      </div>
      {asking && (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            void move('changes_requested')
          }}
          style={{ display: 'flex', flexDirection: 'column', gap: 6 }}
        >
          <label htmlFor={`note-${collection}-${id}`}>What should change?</label>
          <textarea id={`note-${collection}-${id}`} value={note} onChange={(e) => setNote(e.target.value)} rows={3} maxLength={2000} required />
          <button type="submit" className="btn btn--style-primary btn--size-small" style={{ margin: 0, alignSelf: 'flex-start' }} disabled={busy || note.trim() === ''}>
            Send to author
          </button>
        </form>
      )}
      {error && (
        <p role="alert" style={{ color: 'var(--theme-error-500)', margin: 0 }}>
          {error}
        </p>
      )}
    </div>
  )
}

'use client'

import { useRouter } from 'next/navigation'
import React, { useState } from 'react'

/** The reply box of a support thread: a staff reply, sent to the customer's chat by the outbox. */
export function SupportReplyForm({ accountId }: { accountId: number }) {
  const router = useRouter()
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <form
      aria-label="Reply"
      style={{ marginTop: 16 }}
      onSubmit={async (event) => {
        event.preventDefault()
        if (!text.trim()) return
        setBusy(true)
        setError(null)
        const res = await fetch('/api/support-messages', {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ account: accountId, direction: 'out', text }),
        })
        setBusy(false)
        if (res.ok) {
          setText('')
          router.refresh()
        } else {
          setError(((await res.json().catch(() => null)) as { errors?: { message: string }[] } | null)?.errors?.[0]?.message ?? `Failed (${res.status})`)
        }
      }}
    >
      <textarea
        name="reply"
        value={text}
        maxLength={4000}
        rows={4}
        placeholder="Reply to the customer (arrives in their Telegram chat)"
        onChange={(event) => setText(event.target.value)}
        style={{ width: '100%', padding: 8, fontFamily: 'inherit' }}
      />
      <button type="submit" className="btn btn--style-primary btn--size-small" disabled={busy || !text.trim()}>
        Send reply
      </button>
      {error && <p role="alert">{error}</p>}
    </form>
  )
}

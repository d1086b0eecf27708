'use client'

import { useDocumentInfo, useFormFields } from '@payloadcms/ui'
import { useRouter } from 'next/navigation'
import React, { useState } from 'react'

/**
 * "Send" under a saved draft broadcast's status: after a confirmation it sets the status to
 * `sending`, which queues the paced job in the same transaction. Admins only (the API refuses others).
 */
export function BroadcastSendButton() {
  const { id } = useDocumentInfo()
  const status = useFormFields(([fields]) => fields.status?.value)
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (!id || status !== 'draft') return null
  return (
    <div style={{ marginTop: 8 }}>
      <button
        type="button"
        className="btn btn--style-primary btn--size-small"
        disabled={busy}
        onClick={async () => {
          if (!window.confirm('Send this announcement to its segment now? Save your edits first.')) return
          setBusy(true)
          const res = await fetch(`/api/broadcasts/${id}`, {
            method: 'PATCH',
            credentials: 'include',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ status: 'sending' }),
          })
          setBusy(false)
          if (res.ok) router.refresh()
          else setError(((await res.json().catch(() => null)) as { errors?: { message: string }[] } | null)?.errors?.[0]?.message ?? `Failed (${res.status})`)
        }}
      >
        Send
      </button>
      {error && <p role="alert">{error}</p>}
    </div>
  )
}

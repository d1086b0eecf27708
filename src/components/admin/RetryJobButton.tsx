'use client'

import { useRouter } from 'next/navigation'
import React, { useState } from 'react'

export function RetryJobButton({ id }: { id: string }) {
  const router = useRouter()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <>
      <button
        type="button"
        className="btn btn--style-secondary btn--size-small"
        style={{ margin: 0 }}
        disabled={busy}
        onClick={async () => {
          setBusy(true)
          const res = await fetch(`/api/jobs/${id}/retry`, { method: 'POST', credentials: 'include' })
          setBusy(false)
          if (res.ok) router.refresh()
          else setError(((await res.json().catch(() => null)) as { errors?: { message: string }[] } | null)?.errors?.[0]?.message ?? `Failed (${res.status})`)
        }}
      >
        Retry
      </button>
      {error && <p role="alert">{error}</p>}
    </>
  )
}

'use client'

import { useAuth, useDocumentInfo } from '@payloadcms/ui'
import React, { useCallback, useEffect, useState } from 'react'

import { errorOf } from './money'

type Entry = { id: number; createdAt: string; kind: string; credits: number; balanceAfter: number | null; reason: string | null; staff: string | null; payment: number | null }
type Credits = { balance: number; totalEntries: number; entries: Entry[] }

const box = { border: '1px solid var(--theme-elevation-150)', borderRadius: 6, padding: 16, margin: '8px 0 24px', display: 'flex', flexDirection: 'column', gap: 12 } as const
const input = { padding: '8px 10px', border: '1px solid var(--theme-elevation-150)', borderRadius: 4, background: 'var(--theme-input-bg)', color: 'var(--theme-text)', font: 'inherit' } as const
const cell = { padding: '6px 8px', borderTop: '1px solid var(--theme-elevation-100)', verticalAlign: 'top' } as const
const when = (iso: string) => iso.replace('T', ' ').slice(0, 16)
/** Enter in one of these inputs must not submit the account's own document form. */
const noSubmit = (e: React.KeyboardEvent) => {
  if (e.key === 'Enter' && !(e.target instanceof HTMLTextAreaElement)) e.preventDefault()
}

/**
 * In an account's edit view: its credit balance (derived from the ledger), the latest ledger rows,
 * its payments, and for admins a "Grant credits" form (whole credits, a required reason) that
 * appends a `grant` row to the ledger with the signed-in staff member.
 */
export function AccountCredits() {
  const { id } = useDocumentInfo()
  const { user } = useAuth()
  const [data, setData] = useState<Credits | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [credits, setCredits] = useState('')
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  const load = useCallback(async () => {
    if (!id) return
    const res = await fetch(`/api/ops/accounts/${id}/credits?limit=20`, { credentials: 'include' })
    if (res.ok) setData((await res.json()) as Credits)
    else setLoadError(await errorOf(res))
  }, [id])
  useEffect(() => {
    void load()
  }, [load])

  if (!id) return null
  const isAdmin = ((user as { roles?: string[] } | null)?.roles ?? []).includes('admin')
  const amount = /^\d{1,9}$/.test(credits.trim()) ? Number(credits.trim()) : 0
  const valid = amount > 0 && reason.trim().length >= 3

  async function grant() {
    setBusy(true)
    setError(null)
    setDone(null)
    try {
      const res = await fetch('/api/credit-ledger', {
        method: 'POST',
        credentials: 'include',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ account: Number(id), kind: 'grant', credits: amount, reason: reason.trim() }),
      })
      if (!res.ok) {
        setError(await errorOf(res))
        return
      }
      setDone(`Granted ${amount} credits.`)
      setCredits('')
      setReason('')
      await load()
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-label="Credits" data-testid="account-credits" style={box}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'baseline', flexWrap: 'wrap', gap: 8 }}>
        <h3 style={{ margin: 0 }}>
          Credits: <span data-testid="credit-balance">{data ? data.balance : '…'}</span>
        </h3>
        <a href={`/admin/collections/payments?where[account][equals]=${id}`}>Payments of this account</a>
      </div>
      {loadError && <div role="alert" style={{ color: 'var(--theme-error-500)' }}>{loadError}</div>}
      {data && data.entries.length === 0 && <p style={{ margin: 0, color: 'var(--theme-elevation-500)' }}>No ledger entries yet.</p>}
      {data && data.entries.length > 0 && (
        <div style={{ overflowX: 'auto' }}>
          <table data-testid="ledger" style={{ width: '100%', borderCollapse: 'collapse' }}>
            <caption style={{ textAlign: 'left', color: 'var(--theme-elevation-500)', paddingBottom: 4 }}>
              Latest {data.entries.length} of {data.totalEntries} ledger entries (UTC)
            </caption>
            <thead>
              <tr>
                <th align="left" style={cell}>When</th>
                <th align="left" style={cell}>Kind</th>
                <th align="right" style={cell}>Credits</th>
                <th align="right" style={cell}>Balance after</th>
                <th align="left" style={cell}>Reason</th>
                <th align="left" style={cell}>By</th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e) => (
                <tr key={e.id} data-testid="ledger-row">
                  <td style={cell}>{when(e.createdAt)}</td>
                  <td style={cell}>{e.kind}</td>
                  <td style={{ ...cell, textAlign: 'right', color: e.credits < 0 ? 'var(--theme-error-500)' : 'var(--theme-success-600)' }}>
                    {e.credits > 0 ? `+${e.credits}` : e.credits}
                  </td>
                  <td style={{ ...cell, textAlign: 'right' }}>{e.balanceAfter ?? ''}</td>
                  <td style={{ ...cell, whiteSpace: 'pre-wrap' }}>
                    {e.reason ?? ''}
                    {e.payment && (
                      <>
                        {' '}
                        <a href={`/admin/collections/payments/${e.payment}`}>payment #{e.payment}</a>
                      </>
                    )}
                  </td>
                  <td style={cell}>{e.staff ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {isAdmin && (
        <div role="group" aria-label="Grant credits" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <strong>Grant credits</strong>
          <label style={{ display: 'flex', flexDirection: 'column', gap: 4, maxWidth: 200 }}>
            Credits to add
            <input style={input} inputMode="numeric" value={credits} onKeyDown={noSubmit} onChange={(e) => setCredits(e.target.value)} disabled={busy} />
          </label>
          <label style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
            Reason for the grant (required)
            <textarea style={input} rows={2} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} disabled={busy} />
          </label>
          {error && <div role="alert" style={{ color: 'var(--theme-error-500)' }}>{error}</div>}
          {done && <div role="status" style={{ color: 'var(--theme-success-600)' }}>{done}</div>}
          <button type="button" className="btn btn--style-primary btn--size-small" style={{ margin: 0, alignSelf: 'flex-start' }} disabled={!valid || busy} onClick={() => void grant()}>
            Grant credits
          </button>
        </div>
      )}
    </section>
  )
}

'use client'

import { useAuth, useDocumentInfo } from '@payloadcms/ui'
import React, { useCallback, useEffect, useState } from 'react'

import { errorOf, formatMoney, minorPerUnit, parseMoney } from './money'

type PaymentView = { id: number; provider: string; status: string; amount: number; refundedAmount?: number | null; currency: string; refundedAt?: string | null }
type RefundAnswer = {
  applied: boolean
  payment: { status: string; amount: number; refundedAmount: number; currency: string }
  refund: { amount: number; creditsReversed: number; creditsShort: number; providerRefundId: string | null }
}

const box = { border: '1px solid var(--theme-elevation-150)', borderRadius: 6, padding: 16, margin: '8px 0 24px', display: 'flex', flexDirection: 'column', gap: 10 } as const
const input = { padding: '8px 10px', border: '1px solid var(--theme-elevation-150)', borderRadius: 4, background: 'var(--theme-input-bg)', color: 'var(--theme-text)', font: 'inherit' } as const
/** Enter in one of these inputs must not submit the payment's own (read-only) document form. */
const noSubmit = (e: React.KeyboardEvent) => {
  if (e.key === 'Enter' && !(e.target instanceof HTMLTextAreaElement)) e.preventDefault()
}

/**
 * In a payment's edit view: what was paid and refunded, and for admins a Refund action (amount,
 * required reason, a confirmation step) that calls `POST /api/payments/:id/refund` and shows what
 * happened: the money given back through the provider and the credits taken back.
 */
export function RefundPayment() {
  const { id } = useDocumentInfo()
  const { user } = useAuth()
  const [payment, setPayment] = useState<PaymentView | null>(null)
  const [amount, setAmount] = useState('')
  const [reason, setReason] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  const load = useCallback(async () => {
    if (!id) return
    const res = await fetch(`/api/payments/${id}?depth=0`, { credentials: 'include' })
    if (res.ok) {
      const doc = (await res.json()) as PaymentView
      setPayment(doc)
      const left = doc.amount - (doc.refundedAmount ?? 0)
      setAmount(left > 0 ? String(left / minorPerUnit(doc.currency)) : '')
    }
  }, [id])
  useEffect(() => {
    void load()
  }, [load])
  // The outcome of a refund survives the reload that shows the payment's new state in the form.
  useEffect(() => {
    if (!id) return
    const saved = sessionStorage.getItem(`refund-result:${id}`)
    if (saved) {
      setDone(saved)
      sessionStorage.removeItem(`refund-result:${id}`)
    }
  }, [id])

  if (!id || !payment) return null
  const refunded = payment.refundedAmount ?? 0
  const left = payment.amount - refunded
  const isAdmin = ((user as { roles?: string[] } | null)?.roles ?? []).includes('admin')
  const refundable = (payment.status === 'succeeded' || payment.status === 'partially_refunded') && left > 0
  const minor = parseMoney(amount, payment.currency)
  const valid = minor !== null && minor <= left && reason.trim().length >= 3

  async function refund() {
    if (minor === null || !payment) return
    setBusy(true)
    setError(null)
    try {
      const res = await fetch(`/api/payments/${payment.id}/refund`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ amount: minor, reason: reason.trim() }),
      })
      if (!res.ok) {
        setError(await errorOf(res))
        return
      }
      const answer = (await res.json()) as RefundAnswer
      const message = answer.applied
        ? `Refunded ${formatMoney(answer.refund.amount, payment.currency)} through ${payment.provider}; ${answer.refund.creditsReversed} credits taken back` +
          (answer.refund.creditsShort > 0 ? ` (${answer.refund.creditsShort} were already spent)` : '') +
          `. Status: ${answer.payment.status}.`
        : 'Nothing was left to refund; nothing changed.'
      // The document's fields below (status, refunded amount) come from the server: reload them.
      sessionStorage.setItem(`refund-result:${payment.id}`, message)
      setDone(message)
      setConfirming(false)
      setReason('')
      window.location.reload()
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-label="Refund" data-testid="payment-refund" style={box}>
      <h3 style={{ margin: 0 }}>Refund</h3>
      <div data-testid="payment-money">
        Paid {formatMoney(payment.amount, payment.currency)} by {payment.provider} · refunded {formatMoney(refunded, payment.currency)} · left{' '}
        {formatMoney(Math.max(left, 0), payment.currency)} · status <b>{payment.status}</b>
      </div>
      {done && (
        <div role="status" data-testid="refund-result" style={{ color: 'var(--theme-success-600)' }}>
          {done}
        </div>
      )}
      {error && (
        <div role="alert" style={{ color: 'var(--theme-error-500)' }}>
          {error}
        </div>
      )}
      {!refundable ? null : !isAdmin ? (
        <p style={{ margin: 0, color: 'var(--theme-elevation-500)' }}>Only admins can refund a payment.</p>
      ) : (
        <>
          <label style={{ display: 'flex', flexDirection: 'column', gap: 4, maxWidth: 240 }}>
            Amount ({payment.currency})
            <input style={input} inputMode="decimal" value={amount} onKeyDown={noSubmit} onChange={(e) => setAmount(e.target.value)} disabled={busy || confirming} />
          </label>
          <label style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
            Reason (required)
            <textarea style={input} rows={2} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} disabled={busy || confirming} />
          </label>
          {minor !== null && minor > left && <div style={{ color: 'var(--theme-error-500)' }}>At most {formatMoney(left, payment.currency)} is left to refund.</div>}
          {!confirming ? (
            <button type="button" className="btn btn--style-secondary btn--size-small" style={{ margin: 0, alignSelf: 'flex-start' }} disabled={!valid || busy} onClick={() => setConfirming(true)}>
              Refund…
            </button>
          ) : (
            <div role="group" aria-label="Confirm the refund" style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
              <span>
                Give {minor !== null ? formatMoney(minor, payment.currency) : ''} back to the customer through {payment.provider}? This cannot be undone.
              </span>
              <button type="button" className="btn btn--style-primary btn--size-small" style={{ margin: 0 }} disabled={busy} onClick={() => void refund()}>
                Confirm refund
              </button>
              <button type="button" className="btn btn--style-secondary btn--size-small" style={{ margin: 0 }} disabled={busy} onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          )}
        </>
      )}
    </section>
  )
}

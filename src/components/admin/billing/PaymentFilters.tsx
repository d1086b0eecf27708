import React from 'react'

import { PAYMENT_STATUSES } from '../../../billing/config'
import { PROVIDER_NAMES } from '../../../billing/providers/types'

const chip = { padding: '2px 10px', border: '1px solid var(--theme-elevation-200)', borderRadius: 12, textDecoration: 'none', color: 'var(--theme-text)' } as const
const row = { display: 'flex', gap: 6, flexWrap: 'wrap', alignItems: 'center' } as const

/**
 * Above the payments list: one-click filters by provider and status, and by account (its id),
 * as Payload's own `where` query, so the list's columns, sorting and paging keep working.
 */
export function PaymentFilters() {
  return (
    <nav aria-label="Payment filters" data-testid="payment-filters" style={{ display: 'flex', flexDirection: 'column', gap: 8, margin: '0 0 16px' }}>
      <div style={row}>
        <span style={{ minWidth: 70 }}>Provider:</span>
        {PROVIDER_NAMES.map((provider) => (
          <a key={provider} style={chip} href={`?where[provider][equals]=${provider}`}>
            {provider}
          </a>
        ))}
      </div>
      <div style={row}>
        <span style={{ minWidth: 70 }}>Status:</span>
        {PAYMENT_STATUSES.map((status) => (
          <a key={status} style={chip} href={`?where[status][equals]=${status}`}>
            {status}
          </a>
        ))}
        <a style={chip} href="?">all</a>
      </div>
      <form method="get" style={row}>
        <label htmlFor="payments-account">Account id:</label>
        <input id="payments-account" name="where[account][equals]" inputMode="numeric" pattern="\d+" style={{ width: 110, padding: '2px 8px' }} />
        <button type="submit" className="btn btn--style-secondary btn--size-small" style={{ margin: 0 }}>
          Filter
        </button>
      </form>
    </nav>
  )
}

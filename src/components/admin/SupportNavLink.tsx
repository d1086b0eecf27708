import React from 'react'

/** Nav entry for the support inbox, under the collections. */
export function SupportNavLink() {
  return (
    <a href="/admin/support" className="nav__link" style={{ display: 'block', padding: '4px 0' }}>
      Support inbox
    </a>
  )
}

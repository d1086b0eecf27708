import React from 'react'

/** Nav entry for the jobs view, under the collections. */
export function JobsNavLink() {
  return (
    <a href="/admin/jobs" className="nav__link" style={{ display: 'block', padding: '4px 0' }}>
      Jobs
    </a>
  )
}

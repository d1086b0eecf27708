import React from 'react'

/** Nav entry for the bot console, under the collections. */
export function BotConsoleNavLink() {
  return (
    <a href="/admin/bot-console" className="nav__link" style={{ display: 'block', padding: '4px 0' }}>
      Bot console
    </a>
  )
}

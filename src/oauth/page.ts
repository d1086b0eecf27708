import { t } from '../i18n'
import { env } from '../lib/env'

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The small page a customer sees in the browser at the end of an OAuth flow. */
export function oauthPage(language: string, message: string, status: number, headers: Record<string, string> = {}): Response {
  const bot = env().BOT_USERNAME
  const back = bot ? `<p><a href="https://t.me/${bot}">${escape(t(language, 'oauth.back_to_bot'))}</a></p>` : ''
  const html = `<!doctype html><html lang="${language === 'en' ? 'en' : 'ru'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Postforge</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#2a6df4}</style></head>
<body><h1>Postforge</h1><p role="status">${escape(message)}</p>${back}</body></html>`
  return new Response(html, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // A static page: its one inline style, nothing else, and never inside a frame.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      ...headers,
    },
  })
}

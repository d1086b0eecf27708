/**
 * Security headers, shared by next.config.mjs (static ones, every route) and src/proxy.ts (the
 * page CSP, which needs a nonce per request). Plain JavaScript because next.config.mjs loads it
 * before any TypeScript is compiled.
 */

/** On every answer, pages and API alike. */
export const STATIC_HEADERS = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
]

/** Only when the request came over https (our proxy says so): HSTS over plain http is ignored or harmful. */
export const HTTPS_HEADERS = [{ key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }]

/** API answers are data, never a page to frame or to run scripts in. */
export const API_CSP = "frame-ancestors 'none'"

/**
 * The admin's pages: scripts only with this request's nonce (Next puts it on its own scripts;
 * 'strict-dynamic' lets those load their chunks), styles inline because React sets style
 * attributes, and never in a frame. Development adds what React's refresh needs.
 */
export function pageCsp(nonce, development = false) {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${development ? ' ws: wss:' : ''}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * The address of the client, for per-address limits. The rightmost X-Forwarded-For entry is the
 * one our own reverse proxy appended (Next itself fills the header with the socket address when
 * a request arrives without one); entries further left are whatever the client claimed.
 */
export function clientAddress(request: Request): string {
  const forwarded = request.headers.get('x-forwarded-for')
  const last = forwarded?.split(',').map((part) => part.trim()).filter(Boolean).at(-1)
  return last?.slice(0, 64) || 'unknown'
}

import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

import { Agent, buildConnector, fetch as undiciFetch } from 'undici'

/**
 * The one way the server reaches addresses a customer typed (a WordPress site, a competitor's
 * page): never private, loopback, link-local or metadata addresses. Every connection is checked
 * when it is made, the first and each redirect's alike: an address literal before connecting, a
 * name by resolving it and checking every address it has, so a DNS answer cannot swap in a
 * private one after a check.
 */
const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4')
// IPv4-mapped IPv6 (::ffff:a.b.c.d) is unwrapped and checked as IPv4 below; listing its prefix here
// would make BlockList match every IPv4 address.
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const)
  blocked.addSubnet(net, prefix, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) {
    const v4 = address.slice(7)
    if (isIP(v4) === 4) return blocked.check(v4, 'ipv4')
  }
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

class PrivateAddressError extends Error {
  readonly code = 'EPRIVATE'
  constructor(message: string) {
    super(message)
    this.name = 'PrivateAddressError'
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/** A `lookup` for sockets that refuses names resolving to a private address. */
function publicOnlyLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback) => {
    const literal = hostname.replace(/^\[|\]$/g, '')
    if (isIP(literal)) {
      if (!allowPrivate && isPrivateAddress(literal)) return callback(new PrivateAddressError(`${literal} is a private address`), '')
      const family = isIP(literal)
      return (options as { all?: boolean }).all ? callback(null, [{ address: literal, family }]) : callback(null, literal, family)
    }
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '')
      const list = addresses as LookupAddress[]
      const bad = list.find((a) => isPrivateAddress(a.address))
      if (bad && !allowPrivate) return callback(new PrivateAddressError(`${hostname} resolves to a private address (${bad.address})`), '')
      if ((options as { all?: boolean }).all) return callback(null, list)
      callback(null, list[0].address, list[0].family)
    })
  }
}

const agents = new Map<boolean, Agent>()

/**
 * An undici dispatcher whose connections can only reach public addresses (unless allowed).
 * Sockets skip name lookup for an address literal (http://127.0.0.1/), so the connector checks
 * literals itself; names go through `publicOnlyLookup`.
 */
function publicOnlyDispatcher(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate)
  if (!agent) {
    const connect = buildConnector({ lookup: publicOnlyLookup(allowPrivate) as never })
    agent = new Agent({
      connect: (options, callback) => {
        const host = options.hostname.replace(/^\[|\]$/g, '')
        if (!allowPrivate && isIP(host) && isPrivateAddress(host)) return callback(new PrivateAddressError(`${host} is a private address`), null)
        return connect(options, callback)
      },
    })
    agents.set(allowPrivate, agent)
  }
  return agent
}

/**
 * `fetch` for a customer-given address: only public addresses are reached (unless `allowPrivate`,
 * for tests), redirects included. A refusal rejects with an error whose cause
 * `isPrivateAddressRefusal` recognises.
 */
export function publicFetch(url: string | URL, init: RequestInit = {}, allowPrivate = false): Promise<Response> {
  return undiciFetch(url, { ...(init as object), dispatcher: publicOnlyDispatcher(allowPrivate) }) as unknown as Promise<Response>
}

/** Is this error (or its cause) a refusal to reach a private address? */
export function isPrivateAddressRefusal(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof PrivateAddressError || (current as { code?: unknown }).code === 'EPRIVATE') return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/**
 * Whether an address a customer types names a host the server must never reach: a private,
 * loopback or link-local address literal (checked by `isPrivateAddress`), or a name that only
 * exists inside a network (localhost, .local, .internal, .home.arpa). Said when the address is
 * entered; names that resolve to such addresses are refused by `publicFetch` when reached, and by
 * `resolvesPrivately` where the caller can wait for DNS.
 */
export function isPrivateHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase()
  if (isIP(host)) return isPrivateAddress(host)
  return host === 'localhost' || /\.(localhost|local|internal|intranet|lan|home\.arpa)$/.test(host)
}

/**
 * Does this name resolve to a private address? False when it resolves only to public ones, and
 * also when it cannot be resolved within `timeoutMs` (nothing to refuse yet: `publicFetch` checks
 * again on every connection).
 */
export function resolvesPrivately(hostname: string, timeoutMs = 2000): Promise<boolean> {
  if (isIP(hostname.replace(/^\[|\]$/g, ''))) return Promise.resolve(isPrivateHostname(hostname))
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      clearTimeout(timer)
      resolve(!error && (addresses as LookupAddress[]).some((a) => isPrivateAddress(a.address)))
    })
  })
}

import type { Redis } from 'ioredis'

/**
 * True at most once per `seconds` for a key, across every process on one Redis (SET NX EX): the
 * cheap gate in front of a write that may happen on every request (accounts' lastSeenAt).
 * False, too, when Redis cannot answer: skipping one write is better than failing a request.
 */
export async function oncePer(client: Redis, key: string, seconds: number): Promise<boolean> {
  try {
    return (await client.set(key, '1', 'EX', seconds, 'NX')) === 'OK'
  } catch {
    return false
  }
}

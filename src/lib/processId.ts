import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

/**
 * This process as the worker registry and the publish slot leases know it: unique per start, so a
 * restarted worker that got the same pid is never taken for the dead one.
 */
export const PROCESS_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`

import { getPayload } from 'payload'

import { publishOne } from '../../src/publishing/publish'

/** A worker in its own process, publishing one publication, for tests that kill it mid-call. */
const { default: config } = await import('@payload-config')
const payload = await getPayload({ config })
await publishOne(payload, Number(process.argv[2]))
process.exit(0)

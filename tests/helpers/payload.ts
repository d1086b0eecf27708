import config from '@payload-config'
import { getPayload, type Payload } from 'payload'

let instance: Promise<Payload> | undefined

/** The same Payload the web app, worker and bot use, on the test run's database. */
export function testPayload(): Promise<Payload> {
  instance ??= getPayload({ config })
  return instance
}

import type { Payload } from 'payload'

import type { ProviderName } from './types'

/**
 * The outcome recorded for a provider event already applied (`processOnce`), or null. Webhooks
 * look here first so a repeated delivery is answered without calling the provider's API again;
 * `processOnce` still settles a race between two copies arriving at once.
 */
export async function processedOutcome(payload: Payload, provider: ProviderName, eventId: string): Promise<string | null> {
  const { docs } = await payload.find({
    collection: 'billing-events',
    where: { and: [{ provider: { equals: provider } }, { eventId: { equals: eventId } }] },
    limit: 1,
    depth: 0,
    pagination: false,
  })
  return docs[0] ? (docs[0].outcome ?? 'processed') : null
}

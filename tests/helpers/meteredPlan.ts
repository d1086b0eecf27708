import type { Payload } from 'payload'

/**
 * Puts an account on a plan without monthly credits (the free plan's limits, `monthlyCredits` 0),
 * for tests of the credit mechanics whose balance must be only what the test grants: on the free
 * plan, billing on grants its monthly credits before the first generation (src/billing/planCredits.ts).
 * The plan is made once per test database.
 */
export async function onPlanWithoutMonthlyCredits(payload: Payload, accountId: number): Promise<void> {
  const code = 'metered-test'
  const { totalDocs } = await payload.count({ collection: 'plans', where: { code: { equals: code } }, overrideAccess: true })
  if (totalDocs === 0) {
    const free = (await payload.find({ collection: 'plans', where: { code: { equals: 'free' } }, limit: 1, depth: 0, overrideAccess: true })).docs[0]!
    await payload
      .create({
        collection: 'plans',
        overrideAccess: true,
        data: { code, name: { ru: 'Поминутный', en: 'Metered' }, active: false, isDefault: false, sortOrder: 98, limits: free.limits, monthlyCredits: 0, prices: [] },
      })
      // Two test files making it at once: the other one's plan is as good.
      .catch(async (error) => {
        if ((await payload.count({ collection: 'plans', where: { code: { equals: code } }, overrideAccess: true })).totalDocs === 0) throw error
      })
  }
  await payload.update({ collection: 'accounts', id: accountId, overrideAccess: true, data: { plan: code } })
}

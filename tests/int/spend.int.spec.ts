import { describe, expect, it } from 'vitest'

import { assertWithinDailySpend, spentToday, startOfLocalDay } from '../../src/usage/spend'
import { createTenant } from '../helpers/fixtures'
import { testPayload } from '../helpers/payload'

describe('daily spend caps', () => {
  it('starts the day at local midnight', () => {
    const now = new Date('2026-07-01T22:30:00Z')
    expect(startOfLocalDay('Europe/Moscow', now).toISOString()).toBe('2026-07-01T21:00:00.000Z')
    expect(startOfLocalDay('America/New_York', now).toISOString()).toBe('2026-07-01T04:00:00.000Z')
    expect(startOfLocalDay('UTC', now).toISOString()).toBe('2026-07-01T00:00:00.000Z')
  })

  it('stops an account at its plan limit before any model is called, counting only its own spend', async () => {
    const payload = await testPayload()
    const t = await createTenant(payload)
    const other = await createTenant(payload)
    const run = (account: number, costUsd: number) =>
      payload.create({ collection: 'ai-runs', data: { task: 'article.section', model: 'm', outcome: 'ok', costUsd, account } })
    await run(other.account.id, 5)
    await run(t.account.id, 0.3)
    await expect(assertWithinDailySpend(payload, t.account.id)).resolves.toBeUndefined()
    await run(t.account.id, 0.25)
    expect(await spentToday(payload, t.account.id, 'Europe/Moscow')).toBeCloseTo(0.55)
    await expect(assertWithinDailySpend(payload, t.account.id)).rejects.toMatchObject({
      status: 402,
      message: expect.stringContaining('$0.55 of $0.50'),
    })
    // When it refills, in the customer's zone, the plan, and what they can do (/plan, support).
    const cap = await assertWithinDailySpend(payload, t.account.id).catch((error: Error) => error.message)
    expect(cap).toMatch(/(It refills tomorrow at|Лимит обновится завтра в) 00:00 \(Europe\/Moscow\), (in|через) \d+ (h|ч) \d+ (min|мин)/)
    expect(cap).toMatch(/contact support|написать в поддержку/)
    expect(cap).toMatch(/plan “Free”|тариф «Free»/)
    expect(cap).toContain('/plan')
  })
})

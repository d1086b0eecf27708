import { randomBytes, randomInt } from 'node:crypto'

import type { Payload } from 'payload'

import type { Account, Payment, Project, User } from '../../src/payload-types'
import type { Auth } from './rest'

export type Tenant = { account: Account; auth: Auth; apiKey: string; project: Project }

/** A customer account with an API key and one project, created as the bot would (system). */
export async function createTenant(
  payload: Payload,
  { reviewPolicy = 'staff', name = 'Tenant' }: { reviewPolicy?: Project['reviewPolicy']; name?: string } = {},
): Promise<Tenant> {
  const apiKey = randomBytes(24).toString('hex')
  const account = await payload.create({
    collection: 'accounts',
    data: {
      telegramId: randomInt(1_000_000, 2_000_000_000),
      displayName: name,
      language: 'en',
      timezone: 'Europe/Moscow',
      plan: 'free',
      status: 'active',
      enableAPIKey: true,
      apiKey,
    },
  })
  const project = await payload.create({
    collection: 'projects',
    data: { name: `${name} project`, account: account.id, reviewPolicy, timezone: 'Europe/Moscow', language: 'ru' },
  })
  return { account, auth: { apiKey: { collection: 'accounts', key: apiKey } }, apiKey, project }
}

export async function createStaff(payload: Payload, roles: User['roles']): Promise<{ user: User; auth: Auth }> {
  const email = `${roles.join('-')}-${randomBytes(4).toString('hex')}@staff.test`
  const password = 'correct horse battery staple'
  const user = await payload.create({ collection: 'users', data: { email, password, roles } })
  const login = await payload.login({ collection: 'users', data: { email, password } })
  return { user, auth: { token: login.token! } }
}

export const lexical = (text: string) => ({
  root: {
    type: 'root',
    format: '',
    indent: 0,
    version: 1,
    direction: 'ltr' as const,
    children: text.split('\n\n').map((paragraph) => ({
      type: 'paragraph',
      format: '',
      indent: 0,
      version: 1,
      direction: 'ltr' as const,
      textFormat: 0,
      children: [{ type: 'text', text: paragraph, format: 0, detail: 0, mode: 'normal', style: '', version: 1 }],
    })),
  },
})

/**
 * A succeeded YooKassa payment for a 100-credit pack on the account's books, as the billing code
 * records one (a system write); `data` overrides any field.
 */
export async function createPayment(payload: Payload, accountId: number, data: Partial<Payment> = {}): Promise<Payment> {
  return payload.create({
    collection: 'payments',
    overrideAccess: true,
    data: {
      provider: 'yookassa',
      providerPaymentId: `pay-${randomBytes(6).toString('hex')}`,
      account: accountId,
      product: { kind: 'pack', code: 'pack-100' },
      amount: 49_000,
      currency: 'RUB',
      status: 'succeeded',
      refundedAmount: 0,
      ...data,
    } as never,
  })
}

import { env } from '../../lib/env'
import { starsProvider } from './stars'
import { stripeProvider } from './stripe'
import { PROVIDER_NAMES, type PaymentProvider, type ProviderFactory, type ProviderName } from './types'
import { yookassaProvider } from './yookassa'

export * from './types'

/**
 * The registry: every provider the product knows, one line each (the provider's file exports its
 * factory; add the import and the entry here, nothing else). A provider counts as configured when
 * its factory says so from the environment (e.g. a bot token for Stars, a shop id and secret key
 * for YooKassa, a secret key for Stripe).
 */
const FACTORIES: ProviderFactory[] = [starsProvider, yookassaProvider, stripeProvider]

/**
 * Providers that need no credentials of their own (Stars works with any bot token): available only
 * once billing is on by BILLING_ENABLED or a provider with its own keys. A bot token alone must not
 * start charging every customer of an installation that never meant to sell.
 */
const OPT_IN: readonly ProviderName[] = ['stars']

const built = new Map<ProviderName, PaymentProvider>()
/** Providers put in place by tests (see `useProviderForTests`), ahead of the real ones. */
const overrides = new Map<ProviderName, PaymentProvider>()

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value)
}

/** Whether a provider is configured and may sell here (billing on, see OPT_IN). */
function available(factory: ProviderFactory): boolean {
  if (!factory.configured()) return false
  return !OPT_IN.includes(factory.name) || billingEnabled()
}

/** The names of the providers that sell in this process (configured, billing on), in registry order. */
export function configuredProviders(): ProviderName[] {
  const names = FACTORIES.filter(available).map((factory) => factory.name)
  for (const name of overrides.keys()) if (!names.includes(name)) names.push(name)
  return names
}

/** The provider by name, or null when it is not configured here (its checkout is not offered). */
export function providerFor(name: ProviderName): PaymentProvider | null {
  const override = overrides.get(name)
  if (override) return override
  const factory = FACTORIES.find((f) => f.name === name)
  if (!factory || !available(factory)) return null
  let provider = built.get(name)
  if (!provider) {
    provider = factory.create()
    built.set(name, provider)
  }
  return provider
}

/**
 * The provider that gives back money it took: configured is enough, whether or not this
 * installation sells (billing on). A Stars payment stays refundable from the admin after selling
 * stops. Overrides from tests come first, as in `providerFor`.
 */
export function refundingProviderFor(name: ProviderName): PaymentProvider | null {
  const override = overrides.get(name)
  if (override) return override
  const factory = FACTORIES.find((f) => f.name === name)
  if (!factory?.configured()) return null
  let provider = built.get(name)
  if (!provider) {
    provider = factory.create()
    built.set(name, provider)
  }
  return provider
}

/**
 * Billing is on when BILLING_ENABLED is set or a provider with keys of its own (YooKassa, Stripe)
 * is configured; Telegram Stars then sells too. Off, nothing is charged or sold and generation
 * works as it always did.
 */
export function billingEnabled(): boolean {
  return env().BILLING_ENABLED || overrides.size > 0 || FACTORIES.some((factory) => !OPT_IN.includes(factory.name) && factory.configured())
}

/**
 * Tests only: puts `provider` in place of the real one of that name (the core's refund path is
 * then exercised without a platform). Returns a function that takes it away. Never called by
 * product code.
 */
export function useProviderForTests(provider: PaymentProvider): () => void {
  overrides.set(provider.name, provider)
  return () => {
    overrides.delete(provider.name)
  }
}

/** Forgets built providers (tests that change the environment between cases). */
export function resetProviders(): void {
  built.clear()
}

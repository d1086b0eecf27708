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

const built = new Map<ProviderName, PaymentProvider>()
/** Providers put in place by tests (see `useProviderForTests`), ahead of the real ones. */
const overrides = new Map<ProviderName, PaymentProvider>()

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value)
}

/** The names of the providers configured in this process's environment, in registry order. */
export function configuredProviders(): ProviderName[] {
  const names = FACTORIES.filter((factory) => factory.configured()).map((factory) => factory.name)
  for (const name of overrides.keys()) if (!names.includes(name)) names.push(name)
  return names
}

/** The provider by name, or null when it is not configured here (its checkout is not offered). */
export function providerFor(name: ProviderName): PaymentProvider | null {
  const override = overrides.get(name)
  if (override) return override
  const factory = FACTORIES.find((f) => f.name === name)
  if (!factory || !factory.configured()) return null
  let provider = built.get(name)
  if (!provider) {
    provider = factory.create()
    built.set(name, provider)
  }
  return provider
}

/**
 * Billing is on when at least one provider is configured or BILLING_ENABLED is set (credits
 * granted by staff only). Off, nothing is charged and every account stays on the default plan's
 * limits as before.
 */
export function billingEnabled(): boolean {
  return env().BILLING_ENABLED || configuredProviders().length > 0
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

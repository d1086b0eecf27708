import type { Payload } from 'payload'

import type { Account } from '../payload-types'
import { configuredProviders, providerFor } from './providers'
import type { Currency, ProductRef, ProviderName } from './providers/types'

/**
 * What a customer can buy and how, read from the catalogue staff edit in the admin (`plans`,
 * `credit-packs`): the products on sale, their prices in the customer's currencies, and the
 * payment methods that charge those currencies here.
 *
 * Currency rule (documented in the README): Telegram Stars (XTR) always, wherever the bot runs;
 * plus one card currency by the customer's language: RUB for Russian (YooKassa), and for English
 * EUR when the account's time zone is in Europe and the product has a EUR price, else USD
 * (Stripe). A currency the product has no price in is simply not offered.
 */
export type Price = { currency: Currency; amount: number }

export type Offer = {
  kind: ProductRef['kind']
  code: string
  name: { ru: string; en: string }
  active: boolean
  /** Credits a pack gives, or a plan grants each paid month. */
  credits: number
  prices: Price[]
}

type CatalogueDoc = {
  code: string
  name?: { ru?: string | null; en?: string | null } | null
  active?: boolean | null
  credits?: number | null
  monthlyCredits?: number | null
  isDefault?: boolean | null
  prices?: Array<{ currency: string; amount: number }> | null
}

const SLUG = { plan: 'plans', pack: 'credit-packs' } as const

function toOffer(kind: ProductRef['kind'], doc: CatalogueDoc): Offer {
  return {
    kind,
    code: doc.code,
    name: { ru: doc.name?.ru ?? doc.code, en: doc.name?.en ?? doc.code },
    active: doc.active !== false,
    credits: (kind === 'pack' ? doc.credits : doc.monthlyCredits) ?? 0,
    prices: (doc.prices ?? []).map((p) => ({ currency: p.currency as Currency, amount: p.amount })),
  }
}

/**
 * The products of a kind on sale, in the staff's order, read as the customer (the catalogue's
 * public rows); plans without a price (free) are not sold.
 */
export async function offersOnSale(payload: Payload, kind: ProductRef['kind'], account: Account): Promise<Offer[]> {
  const { docs } = await payload.find({
    collection: SLUG[kind] as never,
    where: { active: { equals: true } },
    sort: 'sortOrder',
    limit: 100,
    depth: 0,
    pagination: false,
    user: { ...account, collection: 'accounts' },
    overrideAccess: false,
  })
  return (docs as unknown as CatalogueDoc[]).map((doc) => toOffer(kind, doc)).filter(isOnSale)
}

/** Whether a product can be bought: active and priced (a free plan has no price and is never sold). */
export function isOnSale(offer: Pick<Offer, 'active' | 'prices'>): boolean {
  return offer.active && offer.prices.some((p) => p.amount > 0)
}

/** A product by its code as stored now, on sale or not (a system read: retired ones too); null when it does not exist. */
export async function findOffer(payload: Payload, product: ProductRef): Promise<Offer | null> {
  const { docs } = await payload.find({
    collection: SLUG[product.kind] as never,
    where: { code: { equals: product.code } },
    limit: 1,
    depth: 0,
    pagination: false,
    overrideAccess: true,
  })
  const doc = docs[0] as unknown as CatalogueDoc | undefined
  return doc ? toOffer(product.kind, doc) : null
}

/** The card currency for this customer (see the module comment). */
export function cardCurrency(account: Pick<Account, 'language' | 'timezone'>, offer: Pick<Offer, 'prices'>): Currency {
  if (account.language === 'ru') return 'RUB'
  const european = (account.timezone ?? '').startsWith('Europe/')
  return european && offer.prices.some((p) => p.currency === 'EUR') ? 'EUR' : 'USD'
}

const CARD_PROVIDER: Partial<Record<Currency, ProviderName>> = { RUB: 'yookassa', USD: 'stripe', EUR: 'stripe' }

export type PaymentOption = { provider: ProviderName; currency: Currency; amount: number }

/**
 * How this customer can pay for the offer here: Stars when configured and priced in XTR, then the
 * card provider of their card currency when it is configured and charges that currency.
 */
export function paymentOptions(account: Pick<Account, 'language' | 'timezone'>, offer: Pick<Offer, 'prices'>): PaymentOption[] {
  const configured = configuredProviders()
  const options: PaymentOption[] = []
  const priceIn = (currency: Currency) => offer.prices.find((p) => p.currency === currency && p.amount > 0)
  const stars = priceIn('XTR')
  if (stars && configured.includes('stars')) options.push({ provider: 'stars', currency: 'XTR', amount: stars.amount })
  const currency = cardCurrency(account, offer)
  const card = priceIn(currency)
  const provider = CARD_PROVIDER[currency]
  if (card && provider && configured.includes(provider) && providerFor(provider)?.currencies.includes(currency))
    options.push({ provider, currency, amount: card.amount })
  return options
}

/** The prices a customer is shown (their currencies only), in the order Stars, card. */
export function shownPrices(account: Pick<Account, 'language' | 'timezone'>, offer: Pick<Offer, 'prices'>): Price[] {
  const currencies: Currency[] = ['XTR', cardCurrency(account, offer)]
  return currencies.flatMap((currency) => offer.prices.filter((p) => p.currency === currency && p.amount > 0))
}

/** An amount in minor units as the customer reads it: "⭐ 250", "490 ₽", "$9.00". */
export function formatPrice(price: Price, language: string): string {
  if (price.currency === 'XTR') return `⭐ ${price.amount}`
  const locale = language === 'ru' ? 'ru-RU' : 'en-US'
  const major = price.amount / 100
  // Whole roubles read without kopecks ("990 ₽"); cents are always shown ("$9.00").
  const digits = Number.isInteger(major) && price.currency === 'RUB' ? 0 : 2
  return new Intl.NumberFormat(locale, { style: 'currency', currency: price.currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(major)
}

export function offerName(offer: Pick<Offer, 'name'>, language: string): string {
  return language === 'en' ? offer.name.en : offer.name.ru
}

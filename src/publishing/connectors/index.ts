import type { Connector } from '../connector'
import type { Platform } from '../platforms'
import { instagramConnector } from './instagram'
import { pinterestConnector } from './pinterest'
import { telegramConnector } from './telegram'
import { vkConnector } from './vk'
import { wordpressConnector } from './wordpress'

/** The connectors that publish, one per platform. */
export const CONNECTORS: Partial<Record<Platform, Connector<never>>> = {
  wordpress: wordpressConnector as Connector<never>,
  telegram: telegramConnector as Connector<never>,
  vk: vkConnector as Connector<never>,
  pinterest: pinterestConnector as Connector<never>,
  instagram: instagramConnector as Connector<never>,
}

import type { Connector } from '../connector'
import type { Platform } from '../platforms'
import { instagramConnector } from './instagram'
import { pinterestConnector } from './pinterest'
import { telegramConnector } from './telegram'
import { vkConnector } from './vk'
import { wordpressConnector } from './wordpress'

/** The connectors that publish, one per platform, each taking its own platform's credentials. */
export const CONNECTORS: { [P in Platform]?: Connector<P> } = {
  wordpress: wordpressConnector,
  telegram: telegramConnector,
  vk: vkConnector,
  pinterest: pinterestConnector,
  instagram: instagramConnector,
}

/** The connector of a platform, typed for that platform's credentials (`openCredentials`). */
export function connectorFor<P extends Platform>(platform: P): Connector<P> | undefined {
  return CONNECTORS[platform]
}

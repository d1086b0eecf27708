import type { Connector } from '../connector'
import type { Platform } from '../platforms'
import { telegramConnector } from './telegram'

/**
 * The connectors that can publish today. A platform missing here fails its publications with
 * a clear reason instead of pretending: WordPress, VK, Pinterest and Instagram are being built.
 */
export const CONNECTORS: Partial<Record<Platform, Connector<never>>> = {
  telegram: telegramConnector as Connector<never>,
}

import type { CollectionConfig, FieldHook } from 'payload'

import { ownRowsOr, staffOrAccount } from '../access/tenant'
import { accountField, projectField } from '../fields/tenant'
import { languageOf } from '../i18n/request'
import type { Connection } from '../payload-types'
import { isSealed, seal } from '../lib/crypto'
import { AppError } from '../http/errors'
import { CredentialSchemas, credentialsHint } from '../publishing/credentials'
import { PLATFORMS, type Platform } from '../publishing/platforms'
import { scopeToProject } from './hooks/scopeToProject'
import { withinPlan } from '../usage/enforce'

/**
 * Credentials are write-only: validated per platform, sealed with AES-256-GCM before they reach
 * the database, and unreadable through every API for everyone. Only publishing jobs open them.
 */
const sealCredentials: FieldHook<Connection, unknown, Partial<Connection>> = ({ value, originalDoc, siblingData, req }) => {
  if (value === undefined || value === null) return originalDoc?.credentials
  if (isSealed(value) && JSON.stringify(value) === JSON.stringify(originalDoc?.credentials)) return value
  const platform = (siblingData.platform ?? originalDoc?.platform) as Platform
  const parsed = CredentialSchemas[platform]?.safeParse(value)
  if (!parsed?.success) {
    throw new AppError('credentials.invalid', 422, languageOf(req), {
      details: parsed ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : platform,
    })
  }
  siblingData.credentialsHint = credentialsHint(platform, parsed.data as Record<string, unknown>)
  siblingData.credentialsUpdatedAt = new Date().toISOString()
  return seal(parsed.data)
}

export const Connections: CollectionConfig = {
  slug: 'connections',
  admin: {
    useAsTitle: 'displayName',
    defaultColumns: ['displayName', 'platform', 'project', 'status', 'lastErrorAt'],
    group: 'Publishing',
  },
  access: {
    read: ownRowsOr('admin', 'editor', 'support'),
    create: staffOrAccount('admin'),
    update: ownRowsOr('admin'),
    delete: ownRowsOr('admin'),
  },
  hooks: { beforeValidate: [scopeToProject], beforeChange: [withinPlan('connections')] },
  fields: [
    { name: 'displayName', type: 'text', required: true, maxLength: 120 },
    {
      name: 'platform',
      type: 'select',
      required: true,
      enumName: 'enum_connections_platform',
      options: PLATFORMS.map((value) => ({ label: value, value })),
      access: { update: () => false },
    },
    projectField(),
    accountField(),
    {
      name: 'credentials',
      type: 'json',
      required: true,
      access: { read: () => false },
      hooks: { beforeChange: [sealCredentials] },
      admin: { hidden: true },
    },
    {
      name: 'credentialsHint',
      type: 'text',
      admin: { readOnly: true, description: 'Which credentials are stored (never the secret itself).' },
    },
    { name: 'credentialsUpdatedAt', type: 'date', admin: { readOnly: true } },
    {
      name: 'status',
      type: 'select',
      required: true,
      defaultValue: 'active',
      enumName: 'enum_connections_status',
      options: [
        { label: 'Active', value: 'active' },
        { label: 'Needs reconnect', value: 'needs_reconnect' },
        { label: 'Disabled', value: 'disabled' },
      ],
      admin: { position: 'sidebar' },
    },
    { name: 'lastError', type: 'textarea', admin: { position: 'sidebar', readOnly: true } },
    { name: 'lastErrorAt', type: 'date', admin: { position: 'sidebar', readOnly: true } },
    { name: 'lastCheckedAt', type: 'date', admin: { position: 'sidebar', readOnly: true } },
  ],
}

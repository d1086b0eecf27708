import type { CollectionConfig } from 'payload'

import { isStaff } from '../access/actors'
import { secureCookies } from '../http/cookies'

/** Staff of the admin panel. Accounts (customers) live in their own auth collection. */
export const Users: CollectionConfig = {
  slug: 'users',
  admin: { useAsTitle: 'email', defaultColumns: ['email', 'name', 'roles'], group: 'Staff' },
  auth: {
    // No lockout: anyone could lock a colleague out with wrong passwords, and "locked" told which
    // emails exist. Sign-ins are limited per address and email in front of Payload instead
    // (src/http/loginLimit.ts).
    maxLoginAttempts: 0,
    cookies: { secure: secureCookies() },
  },
  access: {
    admin: ({ req }) => isStaff(req),
    read: ({ req }) => (isStaff(req, 'admin') ? true : req.user?.collection === 'users' ? { id: { equals: req.user.id } } : false),
    create: ({ req }) => isStaff(req, 'admin'),
    update: ({ req }) => (isStaff(req, 'admin') ? true : req.user?.collection === 'users' ? { id: { equals: req.user.id } } : false),
    delete: ({ req }) => isStaff(req, 'admin'),
  },
  fields: [
    { name: 'name', type: 'text' },
    {
      name: 'roles',
      type: 'select',
      hasMany: true,
      required: true,
      defaultValue: ['editor'],
      saveToJWT: true,
      enumName: 'enum_users_role',
      options: [
        { label: 'Admin', value: 'admin' },
        { label: 'Editor', value: 'editor' },
        { label: 'Support', value: 'support' },
      ],
      access: { update: ({ req }) => isStaff(req, 'admin'), create: ({ req }) => isStaff(req, 'admin') },
    },
  ],
}

import type { CollectionConfig } from 'payload'

import { staffOnly, ownRowsOr, staffOrAccount } from '../access/tenant'
import { isStaff } from '../access/actors'
import { systemOwned } from '../fields/systemOwned'
import { queueStaffReply, settleSupportAuthor } from '../support/hooks'
import { supportPhotoEndpoint } from '../support/photo'

const supportStaff = ({ req }: { req: Parameters<typeof isStaff>[0] }) => isStaff(req, 'admin', 'support')

/**
 * The support desk's conversations: one thread per account, a row per message. A customer's
 * message (`in`, from the bot's /support, or over the API) waits unread until staff open the
 * thread in the inbox (/admin/support); a staff reply (`out`) goes to the customer's chat as a
 * notice (outbox job) and is stamped delivered once Telegram took it. Customers read their own
 * thread only; staff with the admin or support role read and answer all.
 */
export const SupportMessages: CollectionConfig = {
  slug: 'support-messages',
  labels: { singular: 'Support message', plural: 'Support messages' },
  admin: {
    group: 'Support',
    useAsTitle: 'text',
    defaultColumns: ['unread', 'account', 'direction', 'text', 'createdAt', 'deliveredAt'],
    listSearchableFields: ['text'],
    description: 'Open /admin/support for the inbox: one thread per customer, unread first, with a reply box.',
  },
  // Unread customer messages first, newest first among them; /admin/support groups them by account.
  defaultSort: ['-unread', '-createdAt'],
  access: {
    read: ownRowsOr('admin', 'support'),
    create: staffOrAccount('admin', 'support'),
    update: staffOnly('admin', 'support'),
    delete: staffOnly('admin'),
  },
  endpoints: [supportPhotoEndpoint],
  hooks: {
    beforeValidate: [settleSupportAuthor],
    afterChange: [queueStaffReply],
  },
  fields: [
    {
      name: 'account',
      type: 'relationship',
      relationTo: 'accounts',
      required: true,
      index: true,
      access: { update: () => false },
      admin: { position: 'sidebar' },
    },
    {
      name: 'direction',
      type: 'select',
      required: true,
      defaultValue: 'out',
      enumName: 'enum_support_messages_direction',
      options: [
        { label: 'From the customer', value: 'in' },
        { label: 'Reply from staff', value: 'out' },
      ],
      access: { update: () => false },
      admin: { position: 'sidebar' },
    },
    { name: 'text', type: 'textarea', maxLength: 4000 },
    // Only the bot sets it (staff's photo endpoint fetches it from Telegram): system-owned.
    systemOwned({
      name: 'photoFileId',
      type: 'text',
      admin: { description: 'A photo the customer sent (Telegram file id; shown in the inbox).' },
    }),
    {
      name: 'unread',
      type: 'checkbox',
      defaultValue: false,
      index: true,
      admin: { position: 'sidebar', description: 'A customer message no staff member has opened yet.' },
      access: { create: supportStaff, update: supportStaff },
    },
    { name: 'readAt', type: 'date', admin: { position: 'sidebar', readOnly: true }, access: { create: supportStaff, update: supportStaff } },
    { name: 'staffUser', type: 'relationship', relationTo: 'users', admin: { position: 'sidebar', readOnly: true } },
    systemOwned({
      name: 'deliveredAt',
      type: 'date',
      admin: { position: 'sidebar', description: 'When Telegram accepted the reply in the customer’s chat.' },
    }),
    systemOwned({ name: 'deliveryError', type: 'text', admin: { position: 'sidebar' } }),
  ],
}

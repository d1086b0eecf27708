import type { CollectionConfig, Field } from 'payload'

/**
 * The admin's billing screens, put onto the billing core's collections from the config (so the
 * core's collection files stay about data and rules):
 * - payments: filters above the list, amounts shown as money, and the Refund action in the edit
 *   view (RefundPayment, calling `POST /api/payments/:id/refund`);
 * - accounts: the credit balance, latest ledger rows and the "Grant credits" form (AccountCredits).
 */
export function withBillingAdmin(collections: CollectionConfig[]): CollectionConfig[] {
  return collections.map((collection) => {
    if (collection.slug === 'payments') {
      return {
        ...collection,
        admin: {
          ...collection.admin,
          listSearchableFields: ['providerPaymentId', 'providerChargeId'],
          components: { ...collection.admin?.components, beforeListTable: ['/components/admin/billing/PaymentFilters#PaymentFilters'] },
        },
        fields: [
          { name: 'refundAction', type: 'ui', admin: { components: { Field: '/components/admin/billing/RefundPayment#RefundPayment' } } },
          ...collection.fields.map((field): Field =>
            'name' in field && field.name === 'amount' && field.type === 'number'
              ? { ...field, admin: { ...field.admin, components: { ...field.admin?.components, Cell: '/components/admin/billing/AmountCell#AmountCell' } } }
              : field,
          ),
        ],
      }
    }
    if (collection.slug === 'accounts') {
      return {
        ...collection,
        fields: [...collection.fields, { name: 'creditsPanel', type: 'ui', admin: { components: { Field: '/components/admin/billing/AccountCredits#AccountCredits' } } }],
      }
    }
    return collection
  })
}

'use client'

import React from 'react'

import { formatMoney } from './money'

/** The payments list's amount column: minor units shown as money in the payment's currency. */
export function AmountCell({ cellData, rowData }: { cellData?: unknown; rowData?: { currency?: string | null } }) {
  if (typeof cellData !== 'number' || !rowData?.currency) return <span>{cellData === undefined || cellData === null ? '' : String(cellData)}</span>
  return <span>{formatMoney(cellData, rowData.currency)}</span>
}

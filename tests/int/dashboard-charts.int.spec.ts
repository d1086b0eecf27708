import React from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'

import { DashboardCharts } from '../../src/components/admin/dashboard/Charts'
import { periodDays, type DashboardData } from '../../src/ops/dashboard'

/** A dashboard with nothing recorded yet: every day of the period at zero, no rollup, no payments. */
function emptyData(): DashboardData {
  const days = periodDays(7, new Date('2026-11-28T12:00:00Z'))
  return {
    period: 7,
    days,
    generatedAt: '2026-11-28T12:00:00.000Z',
    activity: { source: 'lastSeenAt', dau: 0, mau: 0, daily: days.map((day) => ({ day, count: 0 })) },
    newAccounts: days.map((day) => ({ day, count: 0 })),
    content: days.map((day) => ({ day, generated: 0, approved: 0, published: 0 })),
    approval: { approved: 0, changesRequested: 0, rate: null, daily: days.map((day) => ({ day, rate: null })) },
    aiCost: days.map((day) => ({ day, costUsd: 0, perArticleUsd: null })),
    wordsPerMinute: days.map((day) => ({ day, wpm: null, articles: 0 })),
    publishing: [],
    webhooks: { p50Ms: null, p99Ms: null, errorRate: 0, count: 0, errors: 0, perHour: [] },
    revenue: [],
  }
}

describe('dashboard charts', () => {
  it('say "no data yet" instead of drawing an empty axis when nothing is recorded', () => {
    const html = renderToStaticMarkup(React.createElement(DashboardCharts, { data: emptyData() }))
    const charts = html.match(/data-testid="chart-[a-z-]+"/g) ?? []
    expect(charts).toHaveLength(9)
    expect(html.match(/data-empty="true"/g)).toHaveLength(9)
    expect(html.match(/no data yet/g)).toHaveLength(9)
    expect(html).not.toContain('recharts-surface')
    expect(html).toContain('DAU / MAU')
  })

  it('days run oldest first and end today (UTC), one per day of the period', () => {
    expect(periodDays(7, new Date('2026-03-02T23:59:00Z'))).toEqual([
      '2026-02-24',
      '2026-02-25',
      '2026-02-26',
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ])
    expect(periodDays(90, new Date('2026-11-28T00:00:00Z'))).toHaveLength(90)
  })
})

import type { Payload, TypedUser } from 'payload'
import React from 'react'

import { canSeeDashboard, dashboardData, PERIODS, periodOf } from '../../../ops/dashboard'
import { DashboardCharts } from './Charts'

type Props = { payload: Payload; user?: TypedUser | null; searchParams?: Record<string, string | string[] | undefined> }

/**
 * The admin home's figures for staff (admin, support, editor): read on the server from the
 * database (`src/ops/dashboard.ts`, the same data as GET /api/ops/dashboard), drawn by the
 * client charts. `?days=7|30|90` picks the period.
 */
export async function Dashboard({ payload, user, searchParams }: Props) {
  if (!canSeeDashboard({ user: user ?? null })) return null
  const period = periodOf(searchParams?.days)
  const data = await dashboardData(payload, period)
  return (
    <section className="dashboard-charts" aria-labelledby="dashboard-charts-title" style={{ marginBottom: 'calc(var(--base) * 2)' }}>
      <div style={{ display: 'flex', alignItems: 'baseline', justifyContent: 'space-between', flexWrap: 'wrap', gap: 12 }}>
        <h2 id="dashboard-charts-title">Figures, last {period} days (UTC)</h2>
        <nav aria-label="Period" style={{ display: 'flex', gap: 8 }}>
          {PERIODS.map((days) => (
            <a
              key={days}
              href={`?days=${days}`}
              aria-current={days === period ? 'page' : undefined}
              style={{
                padding: '4px 10px',
                borderRadius: 4,
                textDecoration: 'none',
                border: '1px solid var(--theme-elevation-200)',
                background: days === period ? 'var(--theme-elevation-800)' : 'transparent',
                color: days === period ? 'var(--theme-elevation-0)' : 'var(--theme-text)',
              }}
            >
              {days} days
            </a>
          ))}
        </nav>
      </div>
      <DashboardCharts data={data} />
    </section>
  )
}

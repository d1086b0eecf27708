'use client'

import React from 'react'
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'

import type { DashboardData, RevenueCurrency } from '../../../ops/dashboard'

/** The key of a day's refunds in a revenue row (REFUNDS in src/ops/dashboard.ts; not imported: that module is server-only). */
const REFUNDS = 'refunds'

/**
 * The admin home's charts (recharts). Colours come from Payload's theme variables for axes, grid,
 * text and tooltips, so light and dark admin themes both read; series use a palette that keeps
 * contrast on either background. A chart without a single figure says "no data yet".
 */

const PALETTE = ['#3b82f6', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16']
const AXIS = { stroke: 'var(--theme-elevation-400)', tick: { fill: 'var(--theme-elevation-600)', fontSize: 12 } }
const GRID = <CartesianGrid stroke="var(--theme-elevation-100)" strokeDasharray="3 3" vertical={false} />
const TOOLTIP = {
  contentStyle: {
    background: 'var(--theme-elevation-50)',
    border: '1px solid var(--theme-elevation-150)',
    borderRadius: 4,
    color: 'var(--theme-text)',
  },
  labelStyle: { color: 'var(--theme-text)', fontWeight: 600 },
  itemStyle: { color: 'var(--theme-text)' },
  cursor: { fill: 'var(--theme-elevation-100)', stroke: 'var(--theme-elevation-200)' },
}
const LEGEND = { wrapperStyle: { color: 'var(--theme-elevation-800)', fontSize: 12 } }
const shortDay = (day: string) => day.slice(5)
const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${Math.round(value * 1000) / 10}%`)
const usd = (value: number) => `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`
const money = (value: number, currency: string) =>
  currency === 'XTR' ? `${Math.round(value)} XTR` : new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: 2 }).format(value)

function Card({ title, testId, empty, note, children }: { title: string; testId: string; empty: boolean; note?: string; children: React.ReactNode }) {
  return (
    <figure
      data-testid={testId}
      data-empty={empty ? 'true' : 'false'}
      className="dashboard-chart"
      style={{
        margin: 0,
        padding: 'calc(var(--base) * 0.75)',
        border: '1px solid var(--theme-elevation-150)',
        borderRadius: 'var(--style-radius-m, 6px)',
        background: 'var(--theme-elevation-0)',
        minWidth: 0,
      }}
    >
      <figcaption style={{ fontWeight: 600, marginBottom: 8, color: 'var(--theme-text)' }}>{title}</figcaption>
      {empty ? (
        <div style={{ height: 220, display: 'flex', alignItems: 'center', justifyContent: 'center', color: 'var(--theme-elevation-500)' }}>
          no data yet
        </div>
      ) : (
        <div style={{ height: 220 }}>{children}</div>
      )}
      {note && <p style={{ margin: '6px 0 0', fontSize: 12, color: 'var(--theme-elevation-500)' }}>{note}</p>}
    </figure>
  )
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div data-testid={testId} style={{ padding: '8px 12px', border: '1px solid var(--theme-elevation-150)', borderRadius: 6, minWidth: 120 }}>
      <div style={{ fontSize: 12, color: 'var(--theme-elevation-500)' }}>{label}</div>
      <div style={{ fontSize: 22, fontWeight: 600, color: 'var(--theme-text)' }}>{value}</div>
    </div>
  )
}

function Revenue({ data }: { data: RevenueCurrency }) {
  const refunds = data.byDay.some((row) => REFUNDS in row)
  return (
    <Card
      title={`Revenue per day, ${data.currency} (net of refunds): ${money(data.total, data.currency)}`}
      testId={`chart-revenue-${data.currency}`}
      empty={data.byProvider.every((p) => p.payments === 0 && p.refunded === 0)}
      note={data.byPlan.map((p) => `${p.plan}: ${money(p.net, data.currency)} (${p.payments})`).join(' · ')}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data.byDay} stackOffset="sign">
          {GRID}
          <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
          <YAxis {...AXIS} width={56} />
          <Tooltip {...TOOLTIP} formatter={(value) => money(Number(value), data.currency)} />
          <Legend {...LEGEND} />
          {data.providers.map((provider, i) => (
            <Bar key={provider} dataKey={provider} stackId="revenue" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
          ))}
          {refunds && <Bar dataKey={REFUNDS} stackId="revenue" fill={PALETTE[3]} isAnimationActive={false} />}
        </BarChart>
      </ResponsiveContainer>
    </Card>
  )
}

export function DashboardCharts({ data }: { data: DashboardData }) {
  const activityEmpty = data.activity.daily.every((d) => d.count === 0)
  const contentEmpty = data.content.every((d) => d.generated + d.approved + d.published === 0)
  const approvalEmpty = data.approval.daily.every((d) => d.rate === null)
  const costEmpty = data.aiCost.every((d) => d.costUsd === 0)
  const wpmEmpty = data.wordsPerMinute.every((d) => d.wpm === null)
  const approvalDaily = data.approval.daily.map((d) => ({ day: d.day, rate: d.rate === null ? null : Math.round(d.rate * 1000) / 10 }))
  const publishing = data.publishing.map((p) => ({ ...p, rate: p.rate === null ? null : Math.round(p.rate * 1000) / 10 }))
  const webhooks = data.webhooks
  return (
    <div>
      <div style={{ display: 'flex', gap: 12, flexWrap: 'wrap', marginBottom: 16 }}>
        <Stat testId="stat-dau" label="DAU (24 h)" value={String(data.activity.dau)} />
        <Stat testId="stat-mau" label="MAU (30 days)" value={String(data.activity.mau)} />
        <Stat testId="stat-stickiness" label="DAU / MAU" value={data.activity.mau === 0 ? '—' : percent(data.activity.dau / data.activity.mau)} />
        <Stat testId="stat-approval" label="Approval rate" value={percent(data.approval.rate)} />
      </div>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 440px), 1fr))', gap: 16 }}>
        <Card
          title="Active accounts per day"
          testId="chart-active"
          empty={activityEmpty}
          note={
            data.activity.source === 'lastSeenAt'
              ? 'DAU/MAU from accounts.lastSeenAt; the daily line from recorded activity (AI runs, content, review moves).'
              : 'From recorded activity (AI runs, content, review moves): accounts keep no last-seen time yet.'
          }
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data.activity.daily}>
              {GRID}
              <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} width={40} />
              <Tooltip {...TOOLTIP} />
              <Line type="monotone" dataKey="count" name="active accounts" stroke={PALETTE[0]} strokeWidth={2} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </Card>

        <Card title="New accounts per day" testId="chart-new-accounts" empty={data.newAccounts.every((d) => d.count === 0)}>
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data.newAccounts}>
              {GRID}
              <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} width={40} />
              <Tooltip {...TOOLTIP} />
              <Bar dataKey="count" name="new accounts" fill={PALETTE[1]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </Card>

        <Card title="Content per day" testId="chart-content" empty={contentEmpty} note="Generated: articles and posts created; approved: review decisions; published: publications that went out (one per platform).">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data.content}>
              {GRID}
              <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} width={40} />
              <Tooltip {...TOOLTIP} />
              <Legend {...LEGEND} />
              <Bar dataKey="generated" fill={PALETTE[0]} isAnimationActive={false} />
              <Bar dataKey="approved" fill={PALETTE[1]} isAnimationActive={false} />
              <Bar dataKey="published" fill={PALETTE[4]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </Card>

        <Card
          title={`Approval rate: ${percent(data.approval.rate)}`}
          testId="chart-approval"
          empty={approvalEmpty}
          note={`${data.approval.approved} approved, ${data.approval.changesRequested} sent back with changes requested.`}
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={approvalDaily}>
              {GRID}
              <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
              <YAxis domain={[0, 100]} unit="%" {...AXIS} width={48} />
              <Tooltip {...TOOLTIP} formatter={(value) => `${value}%`} />
              <Line type="monotone" dataKey="rate" name="approved" stroke={PALETTE[1]} strokeWidth={2} connectNulls isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </Card>

        <Card title="AI cost per day and per article (USD)" testId="chart-ai-cost" empty={costEmpty}>
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data.aiCost}>
              {GRID}
              <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
              <YAxis {...AXIS} width={56} tickFormatter={(v) => `$${v}`} />
              <Tooltip {...TOOLTIP} formatter={(value) => usd(Number(value))} />
              <Legend {...LEGEND} />
              <Line type="monotone" dataKey="costUsd" name="per day" stroke={PALETTE[2]} strokeWidth={2} dot={false} isAnimationActive={false} />
              <Line type="monotone" dataKey="perArticleUsd" name="per article" stroke={PALETTE[4]} strokeWidth={2} connectNulls isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </Card>

        <Card title="Words per minute of generation" testId="chart-wpm" empty={wpmEmpty} note="Article words over the time its successful model calls took.">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data.wordsPerMinute}>
              {GRID}
              <XAxis dataKey="day" tickFormatter={shortDay} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} width={48} />
              <Tooltip {...TOOLTIP} />
              <Line type="monotone" dataKey="wpm" name="words/min" stroke={PALETTE[5]} strokeWidth={2} connectNulls isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </Card>

        <Card
          title="Publication success rate by platform"
          testId="chart-publishing"
          empty={publishing.length === 0}
          note={publishing.map((p) => `${p.platform}: ${p.published} published, ${p.failed} failed, ${p.unconfirmed} unconfirmed`).join(' · ')}
        >
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={publishing}>
              {GRID}
              <XAxis dataKey="platform" {...AXIS} />
              <YAxis domain={[0, 100]} unit="%" {...AXIS} width={48} />
              <Tooltip {...TOOLTIP} formatter={(value) => `${value}%`} />
              <Bar dataKey="rate" name="success" fill={PALETTE[1]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </Card>

        <Card
          title={webhooks && webhooks.count > 0 ? `Webhook, last 24 h: p50 ${webhooks.p50Ms ?? '—'} ms, p99 ${webhooks.p99Ms ?? '—'} ms, errors ${percent(webhooks.errorRate)}` : 'Webhook latency and errors, last 24 h'}
          testId="chart-webhooks"
          empty={!webhooks || webhooks.count === 0}
          note={webhooks && webhooks.count > 0 ? `${webhooks.count} updates, ${webhooks.errors} failed. Latency is the upper bound of its bucket.` : undefined}
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={(webhooks?.perHour ?? []).map((h) => ({ ...h, hour: h.hour.slice(11, 16), errorPct: h.count ? Math.round((h.errors / h.count) * 1000) / 10 : null }))}>
              {GRID}
              <XAxis dataKey="hour" {...AXIS} />
              <YAxis yAxisId="ms" unit=" ms" {...AXIS} width={64} />
              <YAxis yAxisId="pct" orientation="right" unit="%" domain={[0, 100]} {...AXIS} width={44} />
              <Tooltip {...TOOLTIP} />
              <Legend {...LEGEND} />
              <Line yAxisId="ms" type="monotone" dataKey="p50Ms" name="p50 (ms)" stroke={PALETTE[0]} strokeWidth={2} connectNulls isAnimationActive={false} />
              <Line yAxisId="ms" type="monotone" dataKey="p99Ms" name="p99 (ms)" stroke={PALETTE[2]} strokeWidth={2} connectNulls isAnimationActive={false} />
              <Line yAxisId="pct" type="monotone" dataKey="errorPct" name="errors (%)" stroke={PALETTE[3]} strokeWidth={2} connectNulls isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </Card>

        {data.revenue === null || data.revenue.length === 0 ? (
          <Card title="Revenue per day" testId="chart-revenue" empty note={data.revenue === null ? 'Billing is not installed.' : undefined}>
            {null}
          </Card>
        ) : (
          data.revenue.map((currency) => <Revenue key={currency.currency} data={currency} />)
        )}
      </div>
    </div>
  )
}

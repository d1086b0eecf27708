import { DefaultTemplate } from '@payloadcms/next/templates'
import { Gutter } from '@payloadcms/ui'
import type { AdminViewServerProps } from 'payload'
import React from 'react'

import { countJobs, JOB_STATES, listJobs, type JobState } from '../../jobs/inspect'
import { stuckWork, type StuckWork } from '../../jobs/stuckWork'
import { RetryJobButton } from './RetryJobButton'

const cell = { padding: 8 } as const
const when = (iso: string) => iso.replace('T', ' ').slice(0, 19)

/** Workers, late publications and held publish slots: where work can get stuck, at a glance. */
function StuckWorkPanel({ work }: { work: StuckWork }) {
  return (
    <section aria-label="Stuck work" style={{ margin: '16px 0 24px' }}>
      <h2>Workers</h2>
      {work.workers.length === 0 ? (
        <p>No worker process has reported. Jobs are not being run.</p>
      ) : (
        <table style={{ width: '100%', borderCollapse: 'collapse' }} data-testid="workers">
          <thead>
            <tr>
              <th align="left">Process</th>
              <th align="left">State</th>
              <th align="left">Last report (UTC)</th>
              <th align="left">Started (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {work.workers.map((w) => (
              <tr key={w.id} style={{ borderTop: '1px solid var(--theme-elevation-100)' }}>
                <td style={cell}>{w.id}</td>
                <td style={cell}>{w.alive ? 'alive' : 'dead: its jobs and slots are being released'}</td>
                <td style={cell}>{when(w.seenAt)}</td>
                <td style={cell}>{when(w.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Publications past due</h2>
      {work.pastDue.length === 0 ? (
        <p>None: every publication due more than {work.pastDueAfterMinutes} minutes ago has an outcome.</p>
      ) : (
        <table style={{ width: '100%', borderCollapse: 'collapse' }} data-testid="past-due">
          <thead>
            <tr>
              <th align="left">Publication</th>
              <th align="left">Status</th>
              <th align="left">Due (UTC)</th>
              <th align="left">Last error</th>
            </tr>
          </thead>
          <tbody>
            {work.pastDue.map((p) => (
              <tr key={p.id} style={{ borderTop: '1px solid var(--theme-elevation-100)' }}>
                <td style={cell}>
                  <a href={`/admin/collections/publications/${p.id}`}>#{p.id}</a>
                </td>
                <td style={cell}>{p.status}</td>
                <td style={cell}>{when(p.plannedAt)}</td>
                <td style={{ ...cell, maxWidth: 480, whiteSpace: 'pre-wrap' }}>{p.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Publish slots held</h2>
      {work.leases.length === 0 ? (
        <p>No publish call is holding a platform slot.</p>
      ) : (
        <table style={{ width: '100%', borderCollapse: 'collapse' }} data-testid="leases">
          <thead>
            <tr>
              <th align="left">Platform</th>
              <th align="left">Held by</th>
              <th align="left">Expires (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {work.leases.map((l, i) => (
              <tr key={`${l.platform}-${i}`} style={{ borderTop: '1px solid var(--theme-elevation-100)' }}>
                <td style={cell}>{l.platform}</td>
                <td style={cell}>
                  {l.holder}
                  {!l.holderAlive && ' (dead worker)'}
                </td>
                <td style={cell}>{when(l.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/**
 * /admin/jobs: what the worker is doing and what failed, with a retry per failed job; jobs held by
 * a dead worker, publications past due and publish slots held, so stuck work is seen at once.
 */
export async function JobsView({ initPageResult, params, searchParams }: AdminViewServerProps) {
  const { req, permissions, locale, visibleEntities } = initPageResult
  const user = req.user as { collection?: string; roles?: string[] } | null
  const requested = String(searchParams?.state ?? 'failed')
  const state: JobState = (JOB_STATES as readonly string[]).includes(requested) ? (requested as JobState) : 'failed'
  const isStaffUser = user?.collection === 'users'
  const [counts, jobs, work] = isStaffUser
    ? await Promise.all([countJobs(req.payload), listJobs(req.payload, state), stuckWork(req.payload)])
    : [null, [], null]
  const canRetry = (user?.roles ?? []).some((r) => r === 'admin' || r === 'editor')
  return (
    <DefaultTemplate
      i18n={req.i18n}
      locale={locale}
      params={params}
      payload={req.payload}
      permissions={permissions}
      searchParams={searchParams}
      user={req.user ?? undefined}
      visibleEntities={visibleEntities}
    >
      <Gutter>
        <h1>Jobs</h1>
        {!isStaffUser ? (
          <p>Staff only.</p>
        ) : (
          <>
            {work && <StuckWorkPanel work={work} />}
            <nav style={{ display: 'flex', gap: 16, margin: '16px 0' }} aria-label="Job state">
              {JOB_STATES.map((s) => (
                <a key={s} href={`?state=${s}`} aria-current={s === state ? 'page' : undefined} style={{ fontWeight: s === state ? 700 : 400 }}>
                  {s} ({counts?.[s] ?? 0})
                </a>
              ))}
            </nav>
            {jobs.length === 0 ? (
              <p>No {state} jobs.</p>
            ) : (
              <table style={{ width: '100%', borderCollapse: 'collapse' }}>
                <thead>
                  <tr>
                    <th align="left">Job</th>
                    <th align="left">Task</th>
                    <th align="left">Attempts</th>
                    <th align="left">Run at (UTC)</th>
                    <th align="left">{state === 'stuck' || state === 'running' ? 'Held by' : 'Error'}</th>
                    {state === 'failed' && canRetry && <th />}
                  </tr>
                </thead>
                <tbody>
                  {jobs.map((job) => (
                    <tr key={job.id} data-testid={`job-${job.id}`} style={{ borderTop: '1px solid var(--theme-elevation-100)' }}>
                      <td style={{ padding: 8 }}>
                        #{job.id}
                        {job.key && <div style={{ opacity: 0.7, fontSize: '0.85em' }}>{job.key}</div>}
                      </td>
                      <td style={{ padding: 8 }}>{job.task}</td>
                      <td style={{ padding: 8 }}>
                        {job.attempts}/{job.maxAttempts}
                      </td>
                      <td style={{ padding: 8 }}>{when(job.runAt)}</td>
                      <td style={{ padding: 8, maxWidth: 480, whiteSpace: 'pre-wrap' }}>
                        {state === 'stuck' || state === 'running' ? `${job.lockedBy ?? ''} since ${when(job.lockedAt ?? job.updatedAt)}` : (job.lastError ?? '')}
                      </td>
                      {state === 'failed' && canRetry && (
                        <td style={{ padding: 8 }}>
                          <RetryJobButton id={job.id} />
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Gutter>
    </DefaultTemplate>
  )
}

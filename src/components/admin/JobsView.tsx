import { DefaultTemplate } from '@payloadcms/next/templates'
import { Gutter } from '@payloadcms/ui'
import type { AdminViewServerProps } from 'payload'
import React from 'react'

import { countJobs, JOB_STATES, listJobs, type JobState } from '../../jobs/inspect'
import { RetryJobButton } from './RetryJobButton'

/** /admin/jobs: what the worker is doing and what failed, with a retry per failed job. */
export async function JobsView({ initPageResult, params, searchParams }: AdminViewServerProps) {
  const { req, permissions, locale, visibleEntities } = initPageResult
  const user = req.user as { collection?: string; roles?: string[] } | null
  const requested = String(searchParams?.state ?? 'failed')
  const state: JobState = (JOB_STATES as readonly string[]).includes(requested) ? (requested as JobState) : 'failed'
  const isStaffUser = user?.collection === 'users'
  const [counts, jobs] = isStaffUser ? await Promise.all([countJobs(req.payload), listJobs(req.payload, state)]) : [null, []]
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
                    <th align="left">Error</th>
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
                      <td style={{ padding: 8 }}>{job.runAt.replace('T', ' ').slice(0, 19)}</td>
                      <td style={{ padding: 8, maxWidth: 480, whiteSpace: 'pre-wrap' }}>{job.lastError ?? ''}</td>
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

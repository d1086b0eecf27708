'use client'

import React, { useCallback, useEffect, useRef, useState } from 'react'

import { TELEGRAM_TEXT_LIMITS } from '../../telegram/limits'

type Button = { text: string; callbackData?: string; url?: string }
type Message = {
  id: number
  from: 'bot' | 'user'
  date: number
  text: string
  parseMode?: 'HTML'
  keyboard?: Button[][]
  attachment?: { kind: 'document' | 'photo'; name: string; bytes: number }
  edited?: boolean
}
type Toast = { at: number; text: string; alert: boolean }
type State = { rev: number; messages: Message[]; toasts: Toast[]; draft: string | null }

const POLL_MS = 1000

/** Telegram's HTML subset, rendered as React elements: anything else is shown as text. */
const TAGS: Record<string, keyof React.JSX.IntrinsicElements> = {
  b: 'strong',
  strong: 'strong',
  i: 'em',
  em: 'em',
  u: 'u',
  ins: 'u',
  s: 's',
  strike: 's',
  del: 's',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-spoiler': 'span',
}

function renderNodes(nodes: NodeListOf<ChildNode>, path: string): React.ReactNode[] {
  return Array.from(nodes).map((node, index) => {
    const key = `${path}.${index}`
    if (node.nodeType === 3) return node.textContent
    if (node.nodeType !== 1) return null
    const element = node as Element
    const tag = element.tagName.toLowerCase()
    const children = renderNodes(element.childNodes, key)
    if (tag === 'a') {
      const href = element.getAttribute('href') ?? ''
      return /^https?:\/\//.test(href) ? (
        <a key={key} href={href} target="_blank" rel="noreferrer noopener">
          {children}
        </a>
      ) : (
        <React.Fragment key={key}>{children}</React.Fragment>
      )
    }
    const As = TAGS[tag]
    return As ? React.createElement(As, { key }, children) : <React.Fragment key={key}>{children}</React.Fragment>
  })
}

function Rich({ text, html }: { text: string; html: boolean }) {
  if (!html || typeof DOMParser === 'undefined') return <>{text}</>
  const doc = new DOMParser().parseFromString(`<body>${text}</body>`, 'text/html')
  return <>{renderNodes(doc.body.childNodes, 'n')}</>
}

function time(date: number) {
  return new Date(date * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

const LANGUAGE_KEY = 'postforge.botConsole.language'

/** The chat: messages with inline buttons and edits, toasts, the streamed draft, an input box. */
export function BotConsole() {
  const [state, setState] = useState<State | null>(null)
  const [text, setText] = useState('')
  const [language, setLanguageState] = useState<'ru' | 'en'>('ru')
  // The test client's Telegram language is the staff member's choice: kept in this browser, so a
  // reload shows the language the console has been sending, not Russian again.
  useEffect(() => {
    const kept = window.localStorage.getItem(LANGUAGE_KEY)
    if (kept === 'ru' || kept === 'en') setLanguageState(kept)
  }, [])
  const setLanguage = useCallback((next: 'ru' | 'en') => {
    window.localStorage.setItem(LANGUAGE_KEY, next)
    setLanguageState(next)
  }, [])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const rev = useRef(-1)
  const bottom = useRef<HTMLDivElement>(null)

  const accept = useCallback((next: State & { changed?: boolean }) => {
    if (next.changed === false) return
    rev.current = next.rev
    setState(next)
  }, [])

  useEffect(() => {
    let stopped = false
    const poll = async () => {
      try {
        const response = await fetch(`/api/bot-console?rev=${rev.current}`, { credentials: 'include' })
        if (response.ok) accept(await response.json())
      } catch {
        // The next poll tries again.
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS)
    }
    let timer = setTimeout(poll, 0)
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [accept])

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' })
  }, [state?.messages.length, state?.draft])

  const send = useCallback(
    async (body: Record<string, unknown>) => {
      setBusy(true)
      setError(null)
      try {
        const response = await fetch('/api/bot-console', {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ language, ...body }),
        })
        const json = await response.json()
        if (!response.ok) {
          setError(json?.errors?.[0]?.message ?? `HTTP ${response.status}`)
          return false
        }
        accept(json)
        return true
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e))
        return false
      } finally {
        setBusy(false)
      }
    },
    [accept, language],
  )

  const submit = async (event: React.FormEvent) => {
    event.preventDefault()
    const value = text.trim()
    if (!value) return
    // Keep what was typed until the bot has it.
    if (await send({ kind: 'text', text: value })) setText('')
  }

  const attach = async (event: React.ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0]
    event.target.value = ''
    if (!file) return
    if (file.size > 5 * 1024 * 1024) {
      setError('Files up to 5 MB.')
      return
    }
    const bytes = new Uint8Array(await file.arrayBuffer())
    let binary = ''
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    await send({ kind: 'file', name: file.name, mimeType: file.type || 'application/octet-stream', base64: btoa(binary) })
  }

  const toast = state?.toasts[0]
  const recentToast = toast && Date.now() - toast.at < 6000 ? toast : null

  return (
    <div className="bot-console" style={{ maxWidth: 720, display: 'flex', flexDirection: 'column', gap: 12 }}>
      <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
        <label>
          Telegram language{' '}
          <select value={language} onChange={(e) => setLanguage(e.target.value as 'ru' | 'en')} aria-label="Telegram language">
            <option value="ru">ru</option>
            <option value="en">en</option>
          </select>
        </label>
        <button type="button" className="btn btn--style-secondary btn--size-small" disabled={busy} onClick={() => send({ kind: 'reset' })}>
          Clear chat
        </button>
        <button
          type="button"
          className="btn btn--style-secondary btn--size-small"
          disabled={busy}
          onClick={() => {
            if (window.confirm('Delete the test customer and everything it owns?')) void send({ kind: 'reset', account: true })
          }}
        >
          New test customer
        </button>
      </div>
      <div
        role="log"
        aria-label="Chat"
        data-rev={state?.rev ?? -1}
        style={{
          border: '1px solid var(--theme-elevation-150)',
          borderRadius: 8,
          padding: 12,
          height: 520,
          overflowY: 'auto',
          background: 'var(--theme-elevation-50)',
          display: 'flex',
          flexDirection: 'column',
          gap: 8,
        }}
      >
        {state && state.messages.length === 0 && <p style={{ opacity: 0.7 }}>Send /start to begin.</p>}
        {state?.messages.map((m) => (
          <div
            key={m.id}
            data-testid="console-message"
            data-from={m.from}
            style={{ alignSelf: m.from === 'user' ? 'flex-end' : 'flex-start', maxWidth: '85%' }}
          >
            <div
              style={{
                whiteSpace: 'pre-wrap',
                padding: '8px 12px',
                borderRadius: 10,
                background: m.from === 'user' ? 'var(--theme-success-100)' : 'var(--theme-elevation-0)',
                border: '1px solid var(--theme-elevation-100)',
              }}
            >
              {m.attachment && (
                <div style={{ fontSize: 12, opacity: 0.8 }}>
                  {m.attachment.kind === 'photo' ? '🖼' : '📎'} {m.attachment.name} ({Math.ceil(m.attachment.bytes / 1024)} KB)
                </div>
              )}
              <Rich text={m.text} html={m.parseMode === 'HTML'} />
              <div style={{ fontSize: 11, opacity: 0.6, textAlign: 'right' }}>
                {m.edited ? 'edited ' : ''}
                {time(m.date)}
              </div>
            </div>
            {m.keyboard && m.keyboard.length > 0 && (
              <div style={{ display: 'flex', flexDirection: 'column', gap: 4, marginTop: 4 }}>
                {m.keyboard.map((row, r) => (
                  <div key={r} style={{ display: 'flex', gap: 4 }}>
                    {row.map((button, c) =>
                      button.url ? (
                        <a key={c} href={button.url} target="_blank" rel="noreferrer noopener" className="btn btn--style-secondary btn--size-small" style={{ flex: 1, margin: 0 }}>
                          {button.text} ↗
                        </a>
                      ) : (
                        <button
                          key={c}
                          type="button"
                          className="btn btn--style-secondary btn--size-small"
                          style={{ flex: 1, margin: 0 }}
                          disabled={busy || !button.callbackData}
                          onClick={() => send({ kind: 'button', messageId: m.id, data: button.callbackData })}
                        >
                          {button.text}
                        </button>
                      ),
                    )}
                  </div>
                ))}
              </div>
            )}
          </div>
        ))}
        {state?.draft && (
          <div data-testid="console-draft" style={{ alignSelf: 'flex-start', maxWidth: '85%', opacity: 0.75, whiteSpace: 'pre-wrap', padding: '8px 12px', border: '1px dashed var(--theme-elevation-200)', borderRadius: 10 }}>
            {/* Drafts are streamed as Telegram HTML (sections being written). */}
            <Rich text={state.draft} html />▍
          </div>
        )}
        <div ref={bottom} />
      </div>
      {recentToast && (
        <div role={recentToast.alert ? 'alert' : 'status'} style={{ padding: 8, borderRadius: 6, background: 'var(--theme-elevation-150)' }}>
          {recentToast.text}
        </div>
      )}
      {error && (
        <div role="alert" style={{ color: 'var(--theme-error-500)' }}>
          {error}
        </div>
      )}
      <form onSubmit={submit} style={{ display: 'flex', gap: 8 }}>
        <textarea
          aria-label="Message"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            // Enter sends, Shift+Enter starts a new line (lists are one phrase per line).
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault()
              e.currentTarget.form?.requestSubmit()
            }
          }}
          maxLength={TELEGRAM_TEXT_LIMITS.message}
          rows={Math.min(6, Math.max(1, text.split('\n').length))}
          placeholder="Message or /command (Shift+Enter for a new line)"
          style={{ flex: 1, padding: 8, resize: 'vertical', font: 'inherit' }}
        />
        <label className="btn btn--style-secondary btn--size-small" style={{ margin: 0, cursor: 'pointer' }}>
          Attach
          <input type="file" onChange={attach} style={{ display: 'none' }} aria-label="Attach a file" />
        </label>
        <button type="submit" className="btn btn--style-primary btn--size-small" style={{ margin: 0 }} disabled={busy}>
          Send
        </button>
      </form>
    </div>
  )
}

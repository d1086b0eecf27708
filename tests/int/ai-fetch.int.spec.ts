import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { summariseCompetitors } from '../../src/ai/competitors'
import { fetchPublicPage } from '../../src/ai/safeFetch'
import { isPrivateAddress } from '../../src/lib/safeNet'
import { reloadEnv } from '../../src/lib/env'
import { logger } from '../../src/lib/logger'

let server: Server
let base: string
const savedEnv = { ...process.env }
const PAGE = `<!doctype html><html><head><title>Как выбрать кофе — Конкурент</title></head><body>
<nav>Меню Корзина Войти</nav><article><h1>Как выбрать кофе</h1>
<p>${'Свежая обжарка важнее бренда. '.repeat(40)}</p><h2>Арабика или робуста</h2><p>${'Арабика мягче и ароматнее. '.repeat(30)}</p>
<h2>Помол</h2><p>${'Для турки нужен мелкий помол. '.repeat(30)}</p></article><footer>© Конкурент</footer></body></html>`

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end(`<html><body>${'x'.repeat(200_000)}</body></html>`)
      return
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { Location: '/article' })
      res.end()
      return
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(PAGE)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((r) => server.close(r))
  process.env = savedEnv
  reloadEnv()
})

const withEnv = (vars: Record<string, string>) => {
  Object.assign(process.env, vars)
  reloadEnv()
}

describe('competitor pages', () => {
  it('refuses private, loopback and link-local addresses, by literal or by name, and other schemes', async () => {
    withEnv({ FETCH_ALLOW_PRIVATE: 'false' })
    await expect(fetchPublicPage(`${base}/article`)).rejects.toMatchObject({ reason: 'private_address' })
    await expect(fetchPublicPage('http://localhost:8080/')).rejects.toMatchObject({ reason: 'private_address' })
    await expect(fetchPublicPage('http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({ reason: 'private_address' })
    await expect(fetchPublicPage('http://[::1]/')).rejects.toMatchObject({ reason: 'private_address' })
    await expect(fetchPublicPage('file:///etc/passwd')).rejects.toMatchObject({ reason: 'scheme' })
    for (const address of ['10.1.2.3', '192.168.0.1', '172.20.0.5', '100.64.1.1', 'fd00::1', '::ffff:127.0.0.1']) expect(isPrivateAddress(address), address).toBe(true)
    for (const address of ['93.184.216.34', '2606:2800:220:1::1']) expect(isPrivateAddress(address), address).toBe(false)
  })

  it('reads a page (with the test-only flag), follows a redirect, and keeps to the size limit', async () => {
    withEnv({ FETCH_ALLOW_PRIVATE: 'true', FETCH_MAX_BYTES: '100000' })
    const page = await fetchPublicPage(`${base}/redirect`)
    expect(page.url).toBe(`${base}/article`)
    await expect(fetchPublicPage(`${base}/big`)).rejects.toMatchObject({ reason: 'too_large' })
  })

  it('summarises competitors into the brief: title, headings, length and opening, without the page chrome', async () => {
    withEnv({ FETCH_ALLOW_PRIVATE: 'true', FETCH_MAX_BYTES: '1000000' })
    const brief = await summariseCompetitors([`${base}/article`, 'ftp://example.com/x'], logger())
    expect(brief).toContain('Арабика или робуста | Помол')
    expect(brief).toMatch(/Opening: (Как выбрать кофе )?Свежая обжарка важнее бренда\./)
    expect(brief).not.toContain('Корзина')
    expect(brief).toContain('ftp://example.com/x: not read (only http(s) pages are read')
    withEnv({ FETCH_ALLOW_PRIVATE: 'false' })
    expect(await summariseCompetitors([`${base}/article`], logger())).toContain('not read')
  })
})

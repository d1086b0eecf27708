import { describe, expect, it } from 'vitest'

import { DICTIONARIES, t, tr } from '../../src/i18n'

/** `{name}` parameters and `{count, plural, …}` choices of a template (the forms' own `{…}` aside). */
function parameters(template: string): string[] {
  const withoutForms = template.replace(/\{(\w+), plural,(?:\s*(?:=\d+|\w+) \{[^{}]*\})+\s*\}/g, '{$1}')
  return [...new Set([...withoutForms.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort()
}

/** The HTML tags a template holds, in order (Telegram's markup must match between languages). */
const tags = (template: string) => [...template.matchAll(/<\/?[a-z]+>/g)].map((m) => m[0])

describe('customer texts', () => {
  it('have every key in Russian and in English', () => {
    const ru = Object.keys(DICTIONARIES.ru)
    const en = Object.keys(DICTIONARIES.en)
    expect(ru.filter((key) => !en.includes(key)), 'keys missing in English').toEqual([])
    expect(en.filter((key) => !ru.includes(key)), 'keys missing in Russian').toEqual([])
  })

  it('take the same parameters and the same markup in both languages', () => {
    const mismatched = Object.keys(DICTIONARIES.ru).flatMap((key) => {
      const ru = DICTIONARIES.ru[key]
      const en = DICTIONARIES.en[key] ?? ''
      const problems = []
      if (parameters(ru).join() !== parameters(en).join()) problems.push(`${key}: {${parameters(ru)}} vs {${parameters(en)}}`)
      if (tags(ru).join() !== tags(en).join()) problems.push(`${key}: ${tags(ru).join('')} vs ${tags(en).join('')}`)
      return problems
    })
    expect(mismatched).toEqual([])
  })

  it('escape parameters for HTML with tr and leave them as they are with t', () => {
    expect(tr('ru', 'captcha.ask', { target: 'Кофе & <чай>' })).toBe('Короткая проверка, что вы человек: нажмите на <b>Кофе &amp; &lt;чай&gt;</b>.')
    expect(t('en', 'tenant.foreign_reference', { field: 'a<b>' })).toBe('The field "a<b>" points at a document that is not in this project.')
  })
})

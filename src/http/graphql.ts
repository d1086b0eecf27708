import {
  GraphQLError,
  Kind,
  parse,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql'

import { getPayload, type Payload, type SanitizedConfig } from 'payload'

import { languageOf } from '../i18n/request'
import { inCallersLanguage } from './language'
import { AppError } from './errors'
import { BODY_LIMITS, readLimitedBody, withBody } from './body'
import { clientAddress } from './clientAddress'
import { secureSetCookies } from './cookies'
import { assertNoNul, assertPaging, parseJsonObject } from './input'
import { refuseOperator, unsupportedOperators } from './where'
import { refusal, underLoginLimit } from './loginLimit'

type GraphQLHandler = (request: Request) => Promise<Response>

/** Far above any document the admin or a partner sends; bounds parsing work per request. */
const MAX_TOKENS = 5000

/**
 * What one operation may ask for. Every root field is a database query of its own (aliases of one
 * field too: 480 aliases of `Articles { totalDocs }` held the server for 8.5 s), and a list returns
 * up to its `limit` rows of its selection, so the document is measured before anything runs.
 */
export const GRAPHQL_LIMITS = {
  rootFields: 20,
  /** Field selections once fragments are expanded. */
  selections: 1000,
  /** Fields weighted by rows: a field with a `limit` counts its selection once per row. */
  cost: 5000,
  /** Requests of one client running at once; the rest wait their turn elsewhere, not in our pool. */
  concurrent: 4,
}

/** Payload's page size when a list query gives no `limit` (and `limit: 0` means every row). */
const DEFAULT_LIMIT = 10
const ALL_ROWS = 1000

const running = new Map<string, number>()

/**
 * Wraps Payload's GraphQL handler: body size, JSON shape, a document that parses, no fragment
 * cycles (Payload's complexity rule recurses on them until the stack overflows), no NUL in
 * strings, pagination arguments in range, and the sign-in limiter for `login<User>` mutations.
 */
export function guardGraphQL(config: Promise<SanitizedConfig>, handler: GraphQLHandler): GraphQLHandler {
  return async (request) => {
    const language = languageOf({ headers: request.headers })
    const startedAt = performance.now()
    try {
      const contentType = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
      if (contentType !== 'application/json') throw new AppError('request.unsupported_type', 415, language)
      const bytes = await readLimitedBody(request, BODY_LIMITS.graphql, language)
      const body = parseJsonObject(new TextDecoder().decode(bytes), language)
      const { query, variables } = body
      if (typeof query !== 'string') throw invalid(language, 'query must be a string')
      if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
        throw invalid(language, 'variables must be an object')
      }
      const vars = (variables ?? {}) as Record<string, unknown>
      const document = parseDocument(query, language)
      checkFragmentCycles(document, language)
      const payload = await getPayload({ config })
      const attempts = checkArguments(document, vars, unsupportedOperators(payload), language)
      checkSize(document, vars, language)

      const forwarded = withBody(request, bytes, 'application/json')
      if (attempts.length === 0) return secureSetCookies(request, await oneOfFew(clientAddress(request), language, () => handler(forwarded)))
      const limited = attempts.map(({ mutation, email }) => ({
        reset: mutation.startsWith('forgotPassword'),
        email,
        collection: authCollectionOf(payload, mutation),
      }))
      const response = await underLoginLimit(payload, clientAddress(request), limited, language, startedAt, async () => {
        const answer = await handler(forwarded)
        const text = await answer.text()
        const failed = !answer.ok || Boolean((JSON.parse(text) as { errors?: unknown[] }).errors?.length)
        return { answer: new Response(text, { status: answer.status, headers: answer.headers }), failed }
      })
      return secureSetCookies(request, response)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      return refusal(await inCallersLanguage(error, request, config), startedAt)
    }
  }
}

/** Runs the request unless this client already has its share running (429 otherwise). */
async function oneOfFew(client: string, language: string, run: () => Promise<Response>): Promise<Response> {
  const now = running.get(client) ?? 0
  if (now >= GRAPHQL_LIMITS.concurrent) {
    throw new AppError('request.graphql_busy', 429, language, { limit: GRAPHQL_LIMITS.concurrent })
  }
  running.set(client, now + 1)
  try {
    return await run()
  } finally {
    const left = (running.get(client) ?? 1) - 1
    if (left > 0) running.set(client, left)
    else running.delete(client)
  }
}

const invalid = (language: string, details: string) => new AppError('request.graphql_invalid', 400, language, { details })

function parseDocument(query: string, language: string): DocumentNode {
  try {
    return parse(query, { maxTokens: MAX_TOKENS })
  } catch (error) {
    if (error instanceof GraphQLError) throw invalid(language, error.message.slice(0, 200))
    throw error
  }
}

function checkFragmentCycles(document: DocumentNode, language: string) {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  const spreadsOf = (fragment: FragmentDefinitionNode) => {
    const names: string[] = []
    visit(fragment.selectionSet, { FragmentSpread: (node) => void names.push(node.name.value) })
    return names
  }
  const done = new Set<string>()
  const walk = (name: string, path: string[]) => {
    if (path.includes(name)) throw invalid(language, `fragment cycle ${[...path, name].join(' → ')}`)
    if (done.has(name)) return
    const fragment = fragments.get(name)
    if (fragment) for (const next of spreadsOf(fragment)) walk(next, [...path, name])
    done.add(name)
  }
  for (const name of fragments.keys()) walk(name, [])
}

type Measure = { selections: number; cost: number }

/**
 * Root fields per operation, selections and weighted cost, with fragments expanded (each counted
 * once per use; cycles were refused before). Stops as soon as a limit is passed.
 */
function checkSize(document: DocumentNode, variables: Record<string, unknown>, language: string) {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  const measured = new Map<string, Measure>()
  const tooBig = (measure: Measure) => {
    if (measure.selections > GRAPHQL_LIMITS.selections) {
      throw invalid(language, `more than ${GRAPHQL_LIMITS.selections} field selections; split the request`)
    }
    if (measure.cost > GRAPHQL_LIMITS.cost) {
      throw invalid(language, `complexity over ${GRAPHQL_LIMITS.cost} (each list counts once per row of its limit); ask for fewer rows or fields`)
    }
  }
  const rowsOf = (node: { arguments?: readonly { name: { value: string }; value: ValueNode }[] }, root: boolean) => {
    const limit = node.arguments?.find((argument) => argument.name.value === 'limit')
    if (!limit) return root ? DEFAULT_LIMIT : 1
    const value = Number(valueOf(limit.value, variables) ?? DEFAULT_LIMIT)
    return value === 0 ? ALL_ROWS : Math.max(1, value)
  }
  const measure = (set: SelectionSetNode, root: boolean): Measure => {
    const total: Measure = { selections: 0, cost: 0 }
    for (const selection of set.selections) {
      let part: Measure
      if (selection.kind === Kind.FIELD) {
        const inner = selection.selectionSet ? measure(selection.selectionSet, false) : { selections: 0, cost: 0 }
        const rows = selection.name.value.startsWith('__') ? 1 : rowsOf(selection, root)
        part = { selections: 1 + inner.selections, cost: 1 + rows * inner.cost }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        part = measure(selection.selectionSet, root)
      } else {
        const name = selection.name.value
        const fragment = fragments.get(name)
        if (!measured.has(name)) measured.set(name, fragment ? measure(fragment.selectionSet, root) : { selections: 0, cost: 0 })
        part = measured.get(name)!
      }
      total.selections += part.selections
      total.cost += part.cost
      tooBig(total)
    }
    return total
  }
  const rootFields = (set: SelectionSetNode, seen: Set<string>): number =>
    set.selections.reduce((count, selection) => {
      if (selection.kind === Kind.FIELD) return count + 1
      if (selection.kind === Kind.INLINE_FRAGMENT) return count + rootFields(selection.selectionSet, seen)
      const fragment = fragments.get(selection.name.value)
      if (!fragment || seen.has(fragment.name.value)) return count
      return count + rootFields(fragment.selectionSet, new Set([...seen, fragment.name.value]))
    }, 0)
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    const count = rootFields(definition.selectionSet, new Set())
    if (count > GRAPHQL_LIMITS.rootFields) {
      throw invalid(language, `${count} root fields (aliases included), at most ${GRAPHQL_LIMITS.rootFields} per operation; split the request`)
    }
    measured.clear()
    measure(definition.selectionSet, true)
  }
}

const valueOf = (node: ValueNode, variables: Record<string, unknown>): unknown => {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value]
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT || node.kind === Kind.STRING) return node.value
  return undefined
}

/** A `login<Singular>` or `forgotPassword<Singular>` mutation and the email it names. */
type LoginMutation = { mutation: string; email: unknown }

/** The auth collection behind a `login<Singular>` mutation (Payload names its GraphQL type so). */
function authCollectionOf(payload: Payload, mutation: string): string | undefined {
  return Object.entries(payload.collections).find(([, collection]) => collection.config.auth && `login${collection.graphQL?.type.name}` === mutation)?.[0]
}

/**
 * Strings without NUL, `page`/`limit` arguments in range, `where` operators the database can run,
 * and the emails of sign-in and password-reset mutations.
 */
function checkArguments(
  document: DocumentNode,
  variables: Record<string, unknown>,
  unsupported: Set<string>,
  language: string,
): LoginMutation[] {
  const logins: LoginMutation[] = []
  let inMutation = false
  visit(document, {
    Argument: (node) => {
      if (node.name.value !== 'where') return
      visit(node.value, {
        ObjectField: (field) => void (unsupported.has(field.name.value) && refuseOperator(field.name.value, language)),
        Variable: (variable) => checkWhereVariable(variables[variable.name.value], unsupported, language),
      })
    },
    OperationDefinition: {
      enter: (node) => void (inMutation = node.operation === 'mutation'),
      leave: () => void (inMutation = false),
    },
    StringValue: (node) => assertNoNul(node.value, language),
    Field: (node) => {
      for (const argument of node.arguments ?? []) {
        const name = argument.name.value
        if (name !== 'page' && name !== 'limit') continue
        const value = valueOf(argument.value, variables)
        if (value !== undefined && value !== null) assertPaging(name, value as string, language)
      }
      if (inMutation && /^(login|forgotPassword)[A-Z]/.test(node.name.value)) {
        const email = node.arguments?.find((argument) => argument.name.value === 'email' || argument.name.value === 'username')
        logins.push({ mutation: node.name.value, email: email ? valueOf(email.value, variables) : undefined })
      }
    },
  })
  return logins
}

/** A `where` given as a variable (any depth of and/or). */
function checkWhereVariable(value: unknown, unsupported: Set<string>, language: string, depth = 0) {
  if (!value || typeof value !== 'object' || depth > 20) return
  for (const [key, item] of Object.entries(value)) {
    if (unsupported.has(key)) refuseOperator(key, language)
    checkWhereVariable(item, unsupported, language, depth + 1)
  }
}

import {
  GraphQLError,
  Kind,
  parse,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type ValueNode,
} from 'graphql'

import { getPayload, type Payload, type SanitizedConfig } from 'payload'

import { languageOf } from '../../i18n/request'
import { AppError } from '../errors'
import { BODY_LIMITS, readLimitedBody, withBody } from './body'
import { clientAddress } from './clientAddress'
import { secureSetCookies } from './cookies'
import { assertNoNul, assertPaging, parseJsonObject } from './input'
import { equalizeUnknownEmail, padFailedLogin, refusal, takeLoginAttempt } from './loginLimit'

type GraphQLHandler = (request: Request) => Promise<Response>

/** Far above any document the admin or a partner sends; bounds parsing work per request. */
const MAX_TOKENS = 5000

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
      const logins = checkArguments(document, vars, language)

      const forwarded = withBody(request, bytes, 'application/json')
      if (logins.length === 0) return secureSetCookies(request, await handler(forwarded))
      for (const login of logins) await takeLoginAttempt(clientAddress(request), login.email, language)
      const response = await handler(forwarded)
      const text = await response.text()
      if (!response.ok || (JSON.parse(text) as { errors?: unknown[] }).errors?.length) {
        const payload = await getPayload({ config })
        for (const login of logins) {
          const collection = authCollectionOf(payload, login.mutation)
          if (collection) await equalizeUnknownEmail(payload, collection, login.email)
        }
        await padFailedLogin(startedAt)
      }
      return secureSetCookies(request, new Response(text, { status: response.status, headers: response.headers }))
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      return refusal(error, startedAt)
    }
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

const valueOf = (node: ValueNode, variables: Record<string, unknown>): unknown => {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value]
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT || node.kind === Kind.STRING) return node.value
  return undefined
}

/**
 * Strings without NUL, `page`/`limit` arguments in range, and the emails of login mutations
 * (Payload names them `login<Singular>`).
 */
type LoginMutation = { mutation: string; email: unknown }

/** The auth collection behind a `login<Singular>` mutation (Payload names its GraphQL type so). */
function authCollectionOf(payload: Payload, mutation: string): string | undefined {
  return Object.entries(payload.collections).find(([, collection]) => collection.config.auth && `login${collection.graphQL?.type.name}` === mutation)?.[0]
}

function checkArguments(document: DocumentNode, variables: Record<string, unknown>, language: string): LoginMutation[] {
  const logins: LoginMutation[] = []
  let inMutation = false
  visit(document, {
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
      if (inMutation && /^login[A-Z]/.test(node.name.value)) {
        const email = node.arguments?.find((argument) => argument.name.value === 'email' || argument.name.value === 'username')
        logins.push({ mutation: node.name.value, email: email ? valueOf(email.value, variables) : undefined })
      }
    },
  })
  return logins
}

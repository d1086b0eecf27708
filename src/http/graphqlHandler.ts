import { configToSchema } from '@payloadcms/graphql'
import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql'
import { createHandler } from 'graphql-http/lib/use/fetch'
import {
  addDataAndFileToRequest,
  addLocalesToRequestFromData,
  createPayloadRequest,
  headersWithCors,
  logError,
  mergeHeaders,
  unlinkClientUploadTempFile,
  type PayloadRequest,
  type SanitizedConfig,
} from 'payload'

/**
 * Payload's GraphQL POST handler (@payloadcms/next 3.90.2, routes/graphql/handler.js), the same
 * steps in the same order, with one change: a document that passed graphql-js's standard
 * validation is remembered, and is not put through those rules again.
 *
 * graphql-js validates every request against the whole schema, and one of its rules
 * (KnownTypeNamesRule) lists every type name of Payload's schema (thousands) each time: it was the
 * largest single cost of a small list query. The standard rules depend only on the schema and the
 * document's text, so a text that passed once passes again. Payload's own rules (query complexity
 * with this request's variables, no introspection in production) still run on every request, and
 * a document that failed is validated again each time (nothing is kept for it).
 *
 * A document counts as valid once graphql-http has run it (onOperation is only reached after
 * validation passed); the rules themselves are graphql-http's own (`defaultRules`), never a second
 * copy of graphql-js, whose schema checks fail across module instances.
 */

type Graphql = { schema: GraphQLSchema; validationRules: (args: unknown) => ValidationRule[] }

/** Shared with Payload's own handler (the playground route uses it): the schema is built once per process. */
const globalCache = globalThis as unknown as { _payload_graphql?: { graphql: Graphql | null; promise: Promise<Graphql> | null } }

async function graphqlOf(config: Promise<SanitizedConfig>): Promise<Graphql> {
  const cached = (globalCache._payload_graphql ??= { graphql: null, promise: null })
  if (cached.graphql) return cached.graphql
  cached.promise ??= config.then((resolved) => configToSchema(resolved) as unknown as Graphql)
  try {
    cached.graphql = await cached.promise
  } catch (error) {
    cached.promise = null
    throw error
  }
  return cached.graphql
}

/** Documents kept: bounded in number and size, so distinct documents cannot grow the process. */
const VALID_DOCUMENTS = 500
const MAX_DOCUMENT_CHARS = 8_000
const validTexts = new WeakMap<GraphQLSchema, Set<string>>()

const textOf = (document: DocumentNode | undefined): string | undefined => {
  const text = document?.loc?.source.body
  return text !== undefined && text.length <= MAX_DOCUMENT_CHARS ? text : undefined
}

/** Whether this document's text already passed the standard rules on this schema (most recently used kept last). */
export function knownValid(schema: GraphQLSchema, document: DocumentNode | undefined): boolean {
  const text = textOf(document)
  const known = validTexts.get(schema)
  if (text === undefined || !known?.has(text)) return false
  known.delete(text)
  known.add(text)
  return true
}

function rememberValid(schema: GraphQLSchema, document: DocumentNode | undefined) {
  const text = textOf(document)
  if (text === undefined) return
  let known = validTexts.get(schema)
  if (!known) validTexts.set(schema, (known = new Set()))
  known.add(text)
  if (known.size > VALID_DOCUMENTS) known.delete(known.values().next().value!)
}

type FormattedError = { extensions: Record<string, unknown>; locations?: unknown; message: string; path?: unknown }

async function handleError(err: GraphQLError & { originalError?: any }, req: PayloadRequest): Promise<FormattedError> {
  const { payload } = req
  const status: number = err.originalError?.status || 500
  logError({ err, payload })
  // Internal errors can carry anything: their details stay out of the answer unless `debug`.
  const message = !payload.config.debug && status === 500 ? 'Something went wrong.' : err.message
  let response: FormattedError = {
    extensions: {
      name: err?.originalError?.name || undefined,
      data: (err && err.originalError && err.originalError.data) || undefined,
      stack: payload.config.debug ? err.stack : undefined,
      statusCode: status,
    },
    locations: err.locations,
    message,
    path: err.path,
  }
  for (const hook of payload.config.hooks.afterError ?? []) {
    const result = await hook({ context: req.context, error: err, graphqlResult: response, req } as never)
    if (result) response = (result as { graphqlResult?: FormattedError }).graphqlResult || response
  }
  return response
}

export const graphqlPost =
  (config: Promise<SanitizedConfig>) =>
  async (request: Request): Promise<Response> => {
    const originalRequest = request.clone()
    const req = await createPayloadRequest({ canSetHeaders: true, config, request })
    const { payload } = req
    if (payload.config.graphQL?.disable) return new Response(null, { status: 404 })
    try {
      await addDataAndFileToRequest(req)
      addLocalesToRequestFromData(req)
      const { schema, validationRules } = await graphqlOf(config)
      const headers: Record<string, string> = {}
      const apiResponse = await createHandler({
        context: { headers, req } as never,
        onOperation: async (_request, args, result) => {
          // Reached only after validation passed (with the standard rules, or earlier with the same text).
          rememberValid(schema, args.document)
          const extensions = (payload as { extensions?: unknown }).extensions
          const response = (typeof extensions === 'function' ? await extensions({ args, req: _request, result }) : result) as typeof result & { errors?: unknown[] }
          if (!response.errors) return response
          const errors = await Promise.all(((result as { errors?: GraphQLError[] }).errors ?? []).map((error) => handleError(error, req)))
          return { ...response, errors } as never
        },
        schema,
        validationRules: (_, args, defaultRules) => {
          const own = validationRules(args)
          return knownValid(schema, args.document) ? own : [...defaultRules, ...own]
        },
      })(originalRequest)
      const resHeaders = headersWithCors({ headers: new Headers(apiResponse.headers), req })
      for (const key in headers) resHeaders.append(key, headers[key])
      return new Response(apiResponse.body, {
        headers: req.responseHeaders ? mergeHeaders(req.responseHeaders, resHeaders) : resHeaders,
        status: apiResponse.status,
      })
    } finally {
      // GraphQL reads the body itself, and an operation that writes no document never reaches
      // the operation-level clean-up of uploaded temp files.
      await unlinkClientUploadTempFile({ req })
    }
  }

import type {
  CollectionBeforeValidateHook,
  CollectionSlug,
  FlattenedBlock,
  FlattenedField,
  PayloadRequest,
  SanitizedCollectionConfig,
  Where,
} from 'payload'

import { languageOf } from '../../i18n/request'
import { AppError } from '../../http/errors'
import { idOf, sameId } from '../../lib/ids'

type Id = number | string
type Reference = { path: string; relationTo: CollectionSlug; id: unknown; inText?: boolean }
type Owner = { project: Id | null; account: Id | null }

const MAX_ID = 2_147_483_647

/**
 * Which tenant a collection's documents belong to, read from its fields: a `project` relationship
 * (the project decides), an `account` relationship, or being a project or an account itself.
 * A collection with none of them (staff, prompts) is not tenant data.
 */
function tenancyOf(collection: SanitizedCollectionConfig) {
  const top = (name: string, relationTo: CollectionSlug) =>
    collection.flattenedFields.some((f) => f.name === name && f.type === 'relationship' && f.relationTo === relationTo)
  return {
    project: top('project', 'projects'),
    account: top('account', 'accounts'),
    isProject: collection.slug === 'projects',
    isAccount: collection.slug === 'accounts',
  }
}

function isTenantData(collection: SanitizedCollectionConfig): boolean {
  const t = tenancyOf(collection)
  return t.project || t.account || t.isProject || t.isAccount
}

function ownerOf(collection: SanitizedCollectionConfig, doc: Record<string, unknown>, id: unknown): Owner {
  const t = tenancyOf(collection)
  return {
    project: t.isProject ? idOf(id) : t.project ? idOf(doc.project) : null,
    account: t.isAccount ? idOf(id) : t.account ? idOf(doc.account) : null,
  }
}

function blocksOf(field: Extract<FlattenedField, { type: 'blocks' }>, req: PayloadRequest): FlattenedBlock[] {
  const refs = (field.blockReferences ?? []).map((slug) =>
    typeof slug === 'string' ? (req.payload.blocks as Record<string, FlattenedBlock | undefined>)[slug] : slug,
  )
  return [...field.blocks, ...refs].filter((b): b is FlattenedBlock => Boolean(b))
}

/**
 * Whatever points at a document inside a Lexical document: an upload or relationship node
 * (`relationTo`, `value`) and an internal link (`fields.doc`, the same shape), found by that
 * shape anywhere in the tree, so a node type added later (or a link inside a block) is covered.
 */
function richTextReferences(node: unknown, path: string, out: Reference[]) {
  if (Array.isArray(node)) return node.forEach((child) => richTextReferences(child, path, out))
  if (!node || typeof node !== 'object') return
  const n = node as Record<string, unknown>
  if ('relationTo' in n && 'value' in n) {
    out.push({ path, relationTo: String(n.relationTo) as CollectionSlug, id: n.value, inText: true })
  }
  for (const value of Object.values(n)) if (value && typeof value === 'object') richTextReferences(value, path, out)
}

/** Every relationship and upload value in `data`, however deeply nested, with its field path. */
export function referencesIn(
  fields: FlattenedField[],
  data: unknown,
  req: PayloadRequest,
  prefix = '',
  out: Reference[] = [],
): Reference[] {
  if (!data || typeof data !== 'object') return out
  const sibling = data as Record<string, unknown>
  for (const field of fields) {
    const value = sibling[field.name]
    if (value === undefined || value === null) continue
    const path = `${prefix}${field.name}`
    switch (field.type) {
      case 'relationship':
      case 'upload': {
        const values = Array.isArray(value) ? value : [value]
        for (const item of values) {
          if (Array.isArray(field.relationTo)) {
            const poly = item as { relationTo?: unknown; value?: unknown } | null
            if (poly && field.relationTo.includes(poly.relationTo as CollectionSlug)) {
              out.push({ path, relationTo: poly.relationTo as CollectionSlug, id: poly.value })
            }
          } else {
            out.push({ path, relationTo: field.relationTo, id: item })
          }
        }
        break
      }
      case 'group':
      case 'tab':
        referencesIn(field.flattenedFields, value, req, `${path}.`, out)
        break
      case 'array':
        if (Array.isArray(value)) value.forEach((row, i) => referencesIn(field.flattenedFields, row, req, `${path}.${i}.`, out))
        break
      case 'blocks':
        if (Array.isArray(value)) {
          const blocks = blocksOf(field, req)
          value.forEach((row, i) => {
            const block = blocks.find((b) => b.slug === (row as { blockType?: unknown })?.blockType)
            if (block) referencesIn(block.flattenedFields, row, req, `${path}.${i}.`, out)
          })
        }
        break
      case 'richText':
        richTextReferences(value, path, out)
        break
    }
  }
  return out
}

function validId(id: unknown): id is Id {
  const n = typeof id === 'number' ? id : typeof id === 'string' && /^\d{1,10}$/.test(id) ? Number(id) : NaN
  return Number.isSafeInteger(n) && n > 0 && n <= MAX_ID
}

/**
 * The one ownership check for every relationship and upload field, derived from the config: any
 * document a write points at must belong to the same project (or, for project-less data, the
 * same account) as the document being written. It runs for every face (REST, GraphQL, admin,
 * bot, jobs) and every actor, staff and the system included, because a cross-tenant link leaks
 * data whoever made it: publishing would send one customer's image or keyword to another's channel.
 * Unknown ids are refused with the same answer as foreign ones, so the check is no existence oracle.
 */
export const ownedReferences: CollectionBeforeValidateHook = async ({ collection, data, operation, originalDoc, req }) => {
  if (!data) return data
  const merged = { ...originalDoc, ...data }
  const anchor = ownerOf(collection, merged, originalDoc?.id)
  if (anchor.project === null && anchor.account === null) return data
  const language = languageOf(req)

  // A reference already stored was checked when it was written, and a used target cannot leave
  // its project (refuseMovingUsed): unless this write re-homes the document, only what it writes
  // is read, so a job updating a status reads no targets at all.
  const before = originalDoc ? ownerOf(collection, originalDoc, originalDoc.id) : null
  const rehomed = !before || String(before.project) !== String(anchor.project) || String(before.account) !== String(anchor.account)
  const byTarget = new Map<CollectionSlug, { path: string; id: Id }[]>()
  for (const ref of referencesIn(collection.flattenedFields, rehomed ? merged : data, req)) {
    const target = Object.hasOwn(req.payload.collections, ref.relationTo) ? req.payload.collections[ref.relationTo].config : undefined
    // Text may only point at this tenant's own documents: staff data, Payload's own collections
    // and unknown names are refused like a foreign document (no oracle of what exists).
    if (ref.inText && (!target || !isTenantData(target))) {
      throw new AppError('tenant.foreign_reference', 403, language, { field: ref.path })
    }
    if (!target || !isTenantData(target)) continue
    const id = idOf(ref.id)
    if (id === null) continue
    if (!validId(id)) throw new AppError('tenant.invalid_reference', 400, language, { field: ref.path, value: String(id).slice(0, 40) })
    byTarget.set(ref.relationTo, [...(byTarget.get(ref.relationTo) ?? []), { path: ref.path, id }])
  }

  for (const [slug, refs] of byTarget) {
    const target = req.payload.collections[slug].config
    const keys = tenancyOf(target)
    const ids = [...new Set(refs.map((r) => Number(r.id)))]
    const { docs } = await req.payload.find({
      collection: slug,
      where: { id: { in: ids } },
      depth: 0,
      limit: ids.length,
      pagination: false,
      overrideAccess: true,
      req,
      select: { ...(keys.project ? { project: true } : {}), ...(keys.account ? { account: true } : {}), createdAt: true },
    })
    const owners = new Map(docs.map((doc) => [String(doc.id), ownerOf(target, doc as Record<string, unknown>, doc.id)]))
    for (const ref of refs) {
      const owner = owners.get(String(ref.id))
      const foreign =
        !owner ||
        (anchor.project !== null && owner.project !== null && !sameId(anchor.project, owner.project)) ||
        (anchor.account !== null && owner.account !== null && !sameId(anchor.account, owner.account))
      if (foreign) throw new AppError('tenant.foreign_reference', 403, language, { field: ref.path })
    }
  }
  const moving =
    operation === 'update' && validId(originalDoc?.id) && tenancyOf(collection).project && data.project !== undefined && !sameId(idOf(data.project), idOf(originalDoc?.project))
  if (moving) {
    await refuseMovingUsed(req, collection.slug, originalDoc.id, idOf(originalDoc.project)!)
  }
  return data
}

type UsingPath = { collection: CollectionSlug; path: string; polymorphic: boolean }

/** Every relationship and upload field (nested in groups, tabs, arrays and blocks too) that can point at `slug`. */
function usingPaths(fields: FlattenedField[], slug: CollectionSlug, req: PayloadRequest, prefix = ''): Omit<UsingPath, 'collection'>[] {
  return fields.flatMap((field): Omit<UsingPath, 'collection'>[] => {
    const path = `${prefix}${field.name}`
    switch (field.type) {
      case 'relationship':
      case 'upload': {
        const targets = Array.isArray(field.relationTo) ? field.relationTo : [field.relationTo]
        return targets.includes(slug) ? [{ path, polymorphic: Array.isArray(field.relationTo) }] : []
      }
      case 'group':
      case 'tab':
      case 'array':
        return usingPaths(field.flattenedFields, slug, req, `${path}.`)
      case 'blocks':
        return blocksOf(field, req).flatMap((block) => usingPaths(block.flattenedFields, slug, req, `${path}.`))
      default:
        return []
    }
  })
}

/**
 * The documents whose relationship and upload fields (nested ones and polymorphic ones too) point
 * at `slug` #`id`, found from the config so a field added later counts: one query per collection
 * that has such a field, `where` narrowing each. Collections default to all tenant data.
 */
export async function documentsUsing(
  req: PayloadRequest,
  slug: CollectionSlug,
  id: Id,
  options: { collections?: CollectionSlug[]; where?: Where; limit?: number } = {},
): Promise<{ collection: CollectionSlug; docs: Record<string, unknown>[] }[]> {
  const sources = options.collections
    ? options.collections.map((source) => req.payload.collections[source].config)
    : req.payload.config.collections.filter(isTenantData)
  const found: { collection: CollectionSlug; docs: Record<string, unknown>[] }[] = []
  for (const source of sources) {
    const paths = usingPaths(source.flattenedFields, slug, req)
    if (paths.length === 0) continue
    const using: Where = {
      or: paths.map(({ path, polymorphic }) =>
        polymorphic ? { and: [{ [`${path}.relationTo`]: { equals: slug } }, { [`${path}.value`]: { equals: id } }] } : { [path]: { equals: id } },
      ),
    }
    const conditions = [using, ...(options.where ? [options.where] : []), ...(source.slug === slug ? [{ id: { not_equals: id } }] : [])]
    const { docs } = await req.payload.find({
      collection: source.slug,
      where: { and: conditions },
      depth: 0,
      ...(options.limit ? { limit: options.limit } : { pagination: false }),
      overrideAccess: true,
      req,
    })
    if (docs.length > 0) found.push({ collection: source.slug, docs: docs as unknown as Record<string, unknown>[] })
  }
  return found
}

/**
 * A document other tenant data points at stays in its project: moved, it would leave that
 * content pointing across projects (its next edit refused, its publication sending another
 * project's image or keyword).
 */
async function refuseMovingUsed(req: PayloadRequest, slug: CollectionSlug, id: Id, project: Id) {
  const users = (await documentsUsing(req, slug, id, { limit: 3 })).flatMap(({ collection, docs }) =>
    docs.map((doc) => `${collection} #${doc.id}`),
  )
  const isThis = (ref: Reference) => ref.relationTo === slug && sameId(idOf(ref.id), id)
  for (const source of req.payload.config.collections) {
    // Text cannot be queried for what it embeds or links: the project's documents with text are
    // read and scanned (a rare write, bounded by one project).
    if (!tenancyOf(source).project || !hasRichText(source.flattenedFields)) continue
    const { docs } = await req.payload.find({
      collection: source.slug,
      where: { project: { equals: project } },
      depth: 0,
      pagination: false,
      overrideAccess: true,
      req,
    })
    for (const doc of docs) {
      const inText = referencesIn(source.flattenedFields, doc, req).filter((ref) => ref.inText && isThis(ref))
      if (inText.length > 0 && !users.includes(`${source.slug} #${doc.id}`)) users.push(`${source.slug} #${doc.id}`)
    }
  }
  if (users.length > 0) throw new AppError('tenant.used_elsewhere', 409, languageOf(req), { users: users.slice(0, 5).join(', ') })
}

function hasRichText(fields: FlattenedField[]): boolean {
  return fields.some(
    (f) =>
      f.type === 'richText' ||
      (f.type === 'group' || f.type === 'tab' || f.type === 'array' ? hasRichText(f.flattenedFields) : false) ||
      (f.type === 'blocks' ? f.blocks.some((b) => hasRichText(b.flattenedFields)) : false),
  )
}

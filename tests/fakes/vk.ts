import { json, startFakeServer, type Reply } from './http'

/**
 * VK's API: form POSTs to /method/<name> answered with HTTP 200 and `{ response }` or
 * `{ error: { error_code, error_msg, request_params } }`, a community access key, the wall photo
 * flow (getWallUploadServer -> multipart upload to the upload server, answered as JSON labelled
 * text/html -> saveWallPhoto), wall.post with owner_id=-group and guid de-duplication, wall.get.
 * Knob keys are method names (`wall.post`) and `upload` for the upload server.
 */
export type VkWallPost = { id: number; owner_id: number; from_id: number; date: number; text: string; attachments: string[]; guid?: string }

export async function startFakeVk(options: { groupId?: number; token?: string } = {}) {
  const groupId = options.groupId ?? 777
  const token = options.token ?? 'vk1.a.community-token-0123456789'
  const state = { posts: [] as VkWallPost[], photos: [] as { id: number; size: number; type: string }[], uploads: 0 }
  let nextId = 10
  const vkError = (code: number, msg: string, params: Record<string, unknown>): Reply =>
    json(200, { error: { error_code: code, error_msg: msg, request_params: Object.entries(params).filter(([k]) => k !== 'access_token').map(([key, value]) => ({ key, value })) } })

  const fake = await startFakeServer({
    key: (call) => (call.path.startsWith('/method/') ? call.path.slice('/method/'.length) : 'upload'),
    handle(call, base) {
      if (call.key === 'upload') {
        const photo = call.files.find((f) => f.field === 'photo')
        if (!photo) return { status: 200, text: JSON.stringify({ server: 1, photo: '[]', hash: '' }) }
        const id = ++nextId
        state.photos.push({ id, size: photo.size, type: photo.type })
        state.uploads += 1
        return { status: 200, text: JSON.stringify({ server: 845, photo: JSON.stringify([{ photo: `ph${id}`, sizes: [] }]), hash: `h${id}` }) }
      }
      const p = call.body as Record<string, string>
      if (p.v !== '5.199') return vkError(8, 'Invalid request: v (version) is required or invalid', p)
      if (p.access_token !== token) return vkError(5, 'User authorization failed: invalid access_token (4).', p)
      switch (call.key) {
        case 'groups.getById':
          if (Number(p.group_id) !== groupId) return vkError(100, 'One of the parameters specified was missing or invalid: group_ids is undefined', p)
          return json(200, { response: { groups: [{ id: groupId, name: 'Кофейня «Зерно»', screen_name: `club${groupId}`, is_closed: 0, type: 'group' }], profiles: [] } })
        case 'photos.getWallUploadServer':
          return json(200, { response: { upload_url: `${base}/upload/wall?gid=${p.group_id}`, album_id: -14, user_id: 0 } })
        case 'photos.saveWallPhoto': {
          const id = Number(/ph(\d+)/.exec(String(p.photo))?.[1])
          if (!state.photos.some((ph) => ph.id === id) || p.hash !== `h${id}`) return vkError(100, 'One of the parameters specified was missing or invalid: photo', p)
          return json(200, { response: [{ id, owner_id: -groupId, album_id: -14, date: Math.floor(Date.now() / 1000), sizes: [] }] })
        }
        case 'wall.post': {
          if (Number(p.owner_id) !== -groupId) return vkError(214, 'Access to adding post denied', p)
          if (p.from_group !== '1') return vkError(15, 'Access denied: a community key posts as the community only', p)
          const repeat = p.guid ? state.posts.find((post) => post.guid === p.guid) : undefined
          if (repeat) return json(200, { response: { post_id: repeat.id } })
          const post: VkWallPost = {
            id: ++nextId,
            owner_id: -groupId,
            from_id: -groupId,
            date: Math.floor(Date.now() / 1000),
            text: p.message ?? '',
            attachments: p.attachments ? p.attachments.split(',') : [],
            guid: p.guid,
          }
          state.posts.push(post)
          return json(200, { response: { post_id: post.id } })
        }
        case 'wall.get': {
          if (Number(p.count ?? 20) > 100) return vkError(100, 'One of the parameters specified was missing or invalid: count should be less or equal to 100', p)
          const offset = Number(p.offset ?? 0)
          const items = [...state.posts].reverse().slice(offset, offset + Number(p.count ?? 20))
          return json(200, { response: { count: state.posts.length, items: items.map(({ guid: _guid, attachments: _a, ...post }) => post) } })
        }
        default:
          return vkError(3, 'Unknown method passed', p)
      }
    },
  })
  return { ...fake, state, groupId, token }
}

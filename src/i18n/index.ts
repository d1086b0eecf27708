/**
 * Customer-facing texts, Russian first. The bot, API errors and notifications all read from here,
 * so a message is translated once and said the same way on every face.
 */
export const LANGUAGES = ['ru', 'en'] as const
export type Language = (typeof LANGUAGES)[number]

type Params = Record<string, string | number>
type Dictionary = Record<string, string>

const ru: Dictionary = {
  'status.draft': 'черновик',
  'status.in_review': 'на проверке',
  'status.changes_requested': 'нужны правки',
  'status.approved': 'одобрено',
  'status.scheduled': 'запланировано',
  'status.published': 'опубликовано',
  'status.failed': 'ошибка публикации',
  'status.archived': 'в архиве',
  'workflow.illegal_move':
    'Нельзя перевести материал из статуса «{from}» в «{to}». Допустимо: {allowed}.',
  'workflow.not_allowed':
    'У вас нет права переводить материал из статуса «{from}» в «{to}». {hint}',
  'workflow.hint.approver_staff': 'По политике проекта материалы одобряют редакторы Postforge.',
  'workflow.hint.system_only': 'Этот шаг выполняет только система публикации.',
  'workflow.hint.none': '',
  'workflow.note_required': 'Напишите, что нужно изменить: без комментария правки запросить нельзя.',
  'workflow.edited_after_approval': 'Материал изменён после одобрения и снова отправлен на проверку.',
  'workflow.auto_approved': 'Одобрено автоматически по политике проекта.',
  'workflow.create_status': 'Новый материал можно создать только как черновик или сразу на проверку.',
  'tenant.foreign_project': 'Проект не найден или принадлежит другому аккаунту.',
  'tenant.project_required': 'Укажите проект.',
  'tenant.foreign_connection': 'Подключение не найдено в этом проекте.',
  'schedule.slots_required': 'Добавьте хотя бы один слот: день недели и время.',
  'schedule.interval_required': 'Укажите интервал публикаций (не меньше 60 минут).',
  'schedule.dates': 'Дата окончания должна быть позже даты начала.',
  'publication.one_content': 'Публикация относится ровно к одной статье или одному посту.',
  'publication.not_approved': 'Публиковать можно только одобренные материалы.',
  'publication.account_change': 'Вы можете только отменить запланированную публикацию.',
  'timezone.invalid': 'Неизвестный часовой пояс «{value}». Пример: Europe/Moscow.',
  'credentials.invalid': 'Данные подключения заполнены неверно: {details}',
  'auth.required': 'Нужна авторизация.',
  'oauth.connected': '{name} подключён. Вернитесь в Telegram: там можно выбрать доску или аккаунт и настроить расписание.',
  'oauth.link_expired': 'Ссылка устарела или уже использована. Запросите новую в боте: Подключения → Добавить.',
  'oauth.denied': 'Доступ не выдан. Чтобы публиковать, разрешите Postforge доступ и попробуйте ещё раз из бота.',
  'oauth.exchange_failed': 'Платформа не подтвердила подключение. Попробуйте ещё раз через пару минут; если не выйдет, напишите в поддержку.',
  'oauth.no_instagram_account': 'К вашему аккаунту Facebook не привязан бизнес-аккаунт Instagram. Привяжите его к странице Facebook и попробуйте снова.',
  'oauth.not_configured': 'Подключение этой платформы пока не настроено на сервере. Мы уже знаем; попробуйте позже.',
  'oauth.back_to_bot': 'Вернуться в Telegram',
  'usage.daily_cap': 'Дневной лимит генерации по вашему тарифу исчерпан (${spent} из ${limit}). Он обновится в полночь в вашем часовом поясе; больше — на тарифе выше.',
  'auth.staff_only': 'Доступно только сотрудникам Postforge.',
  'jobs.not_found': 'Задача не найдена или уже выполняется.',
  'request.invalid': 'Запрос заполнен неверно: {details}',
  'publish.connection_inactive': 'Подключение «{name}» отключено или требует переподключения: переподключите его и повторите публикацию.',
  'publish.platform_unavailable': 'Публикация в {platform} пока недоступна: мы подключаем эту площадку. Материал сохранён, его можно опубликовать в другое подключение.',
  'publish.retry': 'Площадка временно не принимает публикации; попробуем ещё раз автоматически.',
  'publish.reauth': 'Площадка больше не принимает наш доступ: переподключите аккаунт.',
  'publish.bad_request': 'Площадка отклонила материал: исправьте его и повторите.',
  'publish.disconnected': 'У бота нет доступа к каналу или сайту: проверьте права и переподключите.',
  'publish.unconfirmed': 'Площадка не ответила вовремя, поэтому неизвестно, вышла ли публикация. Проверьте канал или сайт, затем повторите или отметьте опубликованной.',
  'notify.publication_failed': '⚠️ Не удалось опубликовать «{title}» в «{connection}».\n{reason}',
  'notify.publication_unconfirmed': '❓ «{title}» в «{connection}»: {reason}',
  'telegram.empty': 'Пустой пост: добавьте текст или изображение.',
  'telegram.too_many_images': 'В Telegram в одном посте можно не больше 10 изображений.',
  'none': 'нет',
}

const en: Dictionary = {
  'status.draft': 'draft',
  'status.in_review': 'in review',
  'status.changes_requested': 'changes requested',
  'status.approved': 'approved',
  'status.scheduled': 'scheduled',
  'status.published': 'published',
  'status.failed': 'failed',
  'status.archived': 'archived',
  'workflow.illegal_move': 'Content cannot move from "{from}" to "{to}". Allowed: {allowed}.',
  'workflow.not_allowed': 'You may not move content from "{from}" to "{to}". {hint}',
  'workflow.hint.approver_staff': "This project's policy has Postforge editors approve content.",
  'workflow.hint.system_only': 'Only the publishing system takes this step.',
  'workflow.hint.none': '',
  'workflow.note_required': 'Say what should change: changes cannot be requested without a note.',
  'workflow.edited_after_approval': 'Edited after approval, so it went back to review.',
  'workflow.auto_approved': "Approved automatically by the project's policy.",
  'workflow.create_status': 'New content starts as a draft or goes straight to review.',
  'tenant.foreign_project': 'Project not found or owned by another account.',
  'tenant.project_required': 'Choose a project.',
  'tenant.foreign_connection': 'Connection not found in this project.',
  'schedule.slots_required': 'Add at least one slot: a weekday and a time.',
  'schedule.interval_required': 'Set the interval between publications (60 minutes or more).',
  'schedule.dates': 'The end date must be after the start date.',
  'publication.one_content': 'A publication is for exactly one article or one post.',
  'publication.not_approved': 'Only approved content can be published.',
  'publication.account_change': 'You can only cancel a planned publication.',
  'timezone.invalid': 'Unknown time zone "{value}". Example: Europe/Moscow.',
  'credentials.invalid': 'The connection details are not valid: {details}',
  'auth.required': 'Authentication required.',
  'oauth.connected': '{name} is connected. Back in Telegram you can pick a board or account and set a schedule.',
  'oauth.link_expired': 'This link has expired or was already used. Ask the bot for a new one: Connections → Add.',
  'oauth.denied': 'Access was not granted. To publish, allow Postforge access and try again from the bot.',
  'oauth.exchange_failed': 'The platform did not confirm the connection. Try again in a few minutes; if it keeps failing, contact support.',
  'oauth.no_instagram_account': 'No Instagram business account is linked to your Facebook account. Link one to a Facebook Page and try again.',
  'oauth.not_configured': 'Connecting this platform is not set up on the server yet. We know; please try later.',
  'oauth.back_to_bot': 'Back to Telegram',
  'usage.daily_cap': "Today's generation budget on your plan is used up (${spent} of ${limit}). It resets at midnight in your time zone; upgrade for more.",
  'auth.staff_only': 'Postforge staff only.',
  'jobs.not_found': 'Job not found, or it is running.',
  'request.invalid': 'The request is not valid: {details}',
  'publish.connection_inactive': 'The connection "{name}" is disabled or needs reconnecting: reconnect it and retry.',
  'publish.platform_unavailable': 'Publishing to {platform} is not available yet: we are connecting this platform. The content is kept and can go to another connection.',
  'publish.retry': 'The platform is not accepting posts right now; we will try again automatically.',
  'publish.reauth': 'The platform no longer accepts our access: reconnect the account.',
  'publish.bad_request': 'The platform rejected the content: fix it and retry.',
  'publish.disconnected': 'The bot has no access to the channel or site: check its rights and reconnect.',
  'publish.unconfirmed': "The platform did not answer in time, so we don't know whether this went out. Check the channel or site, then retry it or mark it published.",
  'notify.publication_failed': '⚠️ Could not publish “{title}” to “{connection}”.\n{reason}',
  'notify.publication_unconfirmed': '❓ “{title}” on “{connection}”: {reason}',
  'telegram.empty': 'Empty post: add text or an image.',
  'telegram.too_many_images': 'Telegram allows at most 10 images in one post.',
  'none': 'none',
}

const dictionaries: Record<Language, Dictionary> = { ru, en }

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

export function t(language: string | undefined | null, key: string, params: Params = {}): string {
  const dict = dictionaries[isLanguage(language) ? language : 'ru']
  const template = dict[key] ?? en[key] ?? key
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''))
}

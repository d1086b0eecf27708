import type { Api } from 'grammy'

import { LANGUAGES, tr } from '../i18n'

export const COMMANDS = ['start', 'projects', 'new', 'language', 'support', 'mydata', 'plan', 'paysupport', 'terms', 'help', 'cancel'] as const

/** The updates the bot handles; Telegram sends nothing else (a smaller attack surface, less load). */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member', 'pre_checkout_query'] as const

/** The command menu in each language, Russian as the default for other languages. */
export async function publishCommands(api: Api): Promise<void> {
  for (const language of LANGUAGES) {
    const commands = COMMANDS.map((command) => ({
      command,
      description: tr(language, `cmd.${command}`),
    }))
    await api.setMyCommands(commands, {
      language_code: language,
      scope: { type: 'all_private_chats' },
    })
  }
  await api.setMyCommands(
    COMMANDS.map((command) => ({ command, description: tr('ru', `cmd.${command}`) })),
    { scope: { type: 'all_private_chats' } },
  )
  await api.setChatMenuButton({ menu_button: { type: 'commands' } })
}

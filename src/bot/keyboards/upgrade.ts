import { InlineKeyboard } from 'grammy'

import { AppError } from '../../http/errors'
import { tr } from '../../i18n'
import { UPGRADE_BUTTONS } from '../../notify/targets'

/**
 * The buttons every limit refusal carries, on every screen of the bot (the error boundary, the
 * generation limit, notices): change the plan or buy credits. Add them to a keyboard you already
 * have with `addUpgradeButtons`, or take them alone with `upgradeKeyboard`.
 */
export function addUpgradeButtons(keyboard: InlineKeyboard, language: string): InlineKeyboard {
  for (const button of UPGRADE_BUTTONS) keyboard.text(tr(language, button.key), button.data)
  return keyboard.row()
}

export function upgradeKeyboard(language: string): InlineKeyboard {
  return addUpgradeButtons(new InlineKeyboard(), language)
}

/** Refusals a purchase can lift: plan limits (`plan.`), usage caps (`usage.`), credits (`billing.`). */
export function isLimitRefusal(error: unknown): error is AppError {
  return error instanceof AppError && /^(plan|usage|billing)\./.test(error.code)
}

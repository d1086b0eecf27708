/**
 * The fake Bot API in a process of its own, as Telegram is a server of its own: the benchmark's
 * process then spends its CPU on the bot alone. Prints `READY <url>` once listening.
 */
import { startFakeTelegram } from '../tests/fakes/telegramBotApi'

const fake = await startFakeTelegram()
// Keep memory flat over long runs: the benchmark never reads the recorded calls.
setInterval(() => fake.clear(), 1_000).unref()
process.stdout.write(`READY ${fake.url}\n`)
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)))

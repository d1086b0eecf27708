/**
 * Next runs this once per server process before it serves anything: whatever Next or a library
 * prints through the console is scrubbed of secrets like our own log lines.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { scrubConsole } = await import('./lib/logger')
  scrubConsole()
  // Alerts (O7): who notices a dead worker? The web app: one process at a time, elected in Redis,
  // checks the worker's heartbeat and tells the staff chat (src/ops/alertWatchdog.ts).
  const { startAlertWatchdog } = await import('./ops/alertWatchdog')
  startAlertWatchdog()
}

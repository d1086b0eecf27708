/**
 * Next runs this once per server process before it serves anything: whatever Next or a library
 * prints through the console is scrubbed of secrets like our own log lines.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { scrubConsole } = await import('./lib/logger')
  scrubConsole()
}

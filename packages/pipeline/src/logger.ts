import type { Logger } from '@beer/core'

/**
 * The default logger: one line per record on stderr, so stdout stays free for a user's own output.
 * JSON when BEER_LOG_FORMAT=json (for log shippers), text otherwise.
 */
export function consoleLogger(scope: string): Logger {
  const json = typeof process !== 'undefined' && process.env.BEER_LOG_FORMAT === 'json'
  const write = (level: string, message: string, fields?: Record<string, unknown>): void => {
    if (json) {
      process.stderr.write(
        JSON.stringify({ '@timestamp': new Date().toISOString(), level, module: scope, message, ...fields }) + '\n',
      )
    } else {
      const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : ''
      process.stderr.write(`beer ${level} [${scope}] ${message}${extra}\n`)
    }
  }
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  }
}

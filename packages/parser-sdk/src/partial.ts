import type { LogEvent } from '@beer/core'
import { toEvent } from '@beer/syslog-header'
import type { SyslogMessage } from '@beer/syslog-header'

type Obj = Record<string, unknown>

const TRUNCATED = 'the frame was cut at the maximum message size'

/**
 * Ends a parse as every beer parser does: a frame cut at the maximum message size adds its own
 * reason, and with any reason the event gets `beer.partial: true`, the reasons as `error.message`
 * (joined by '; ') and the frame as `event.original`, so that what could not be read is still
 * there. `problems` is not changed. Returns the event.
 */
export function markPartial(event: LogEvent, msg: SyslogMessage, problems: readonly string[] | null): LogEvent {
  const reasons = msg.truncated ? [...(problems ?? []), TRUNCATED] : problems
  if (reasons === null || reasons.length === 0) return event
  event.beer = { partial: true }
  event.error = { message: reasons.join('; ') }
  ;((event.event ??= {}) as Obj).original = msg.raw
  return event
}

/**
 * The header's event for a message a parser could not read at all, marked partial with `reason`
 * (and `event.original`). Never throws, whatever the message.
 */
export function failedEvent(msg: SyslogMessage, reason: string): LogEvent {
  try {
    const event = toEvent(msg)
    event.beer = { partial: true }
    event.error = { message: reason }
    ;((event.event ??= {}) as Obj).original = msg.raw
    return event
  } catch {
    return { event: { kind: 'event' }, beer: { partial: true }, error: { message: reason } }
  }
}

/**
 * What a parser's own safety net returns when its parse threw (a bug): the message as
 * `failedEvent` makes it, with `<name> parser failed: <error>`, so no line is lost and the fuzz
 * kit (`caught`) can still tell the fallback from a real event.
 */
export function parseFailure(name: string, msg: SyslogMessage, err: unknown): LogEvent {
  return failedEvent(msg, `${name} parser failed: ${err instanceof Error ? err.message : String(err)}`)
}

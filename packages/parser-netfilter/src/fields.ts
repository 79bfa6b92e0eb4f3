import { markPartial } from '@beer/parser-sdk'
import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'

/** One message being read: the event so far, and what could not be read. */
export interface Out {
  ev: LogEvent
  problems: string[] | null
}

export function problem(out: Out, text: string): void {
  ;(out.problems ??= []).push(text)
}

/** A whole non-negative number, or undefined. */
export function count(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return Number(text)
}

/** Marks the event partial when something could not be read, as every beer parser does. */
export function finish(out: Out, msg: SyslogMessage): LogEvent {
  return markPartial(out.ev, msg, out.problems)
}

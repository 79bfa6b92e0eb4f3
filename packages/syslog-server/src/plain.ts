import { describeModule } from '@beer/core'
import type { ModuleDescriptor, Parser } from '@beer/core'
import { toEvent } from '@beer/syslog-header'
import type { SyslogMessage } from '@beer/syslog-header'

export interface PlainSyslogOptions {
  /** Keep the received frame as `event.original`. */
  original?: boolean
}

/**
 * The parser of last resort: claims every message and makes the plain event (header fields and
 * message), so a message no product parser claims is still stored, never dropped.
 */
export function plainSyslog(options: PlainSyslogOptions = {}): ModuleDescriptor<'parser', PlainSyslogOptions> {
  return describeModule('parser', 'syslog', import.meta.url, options)
}

export function create(options: PlainSyslogOptions): Parser<SyslogMessage> {
  const opts = { original: options.original === true }
  return {
    isMine: () => true,
    parse: (msg) => toEvent(msg, opts),
  }
}

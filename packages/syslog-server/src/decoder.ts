import { describeModule } from '@beer/core'
import type { Decoder, ModuleDescriptor } from '@beer/core'
import { parseSyslog } from '@beer/syslog-header'
import type { FrameOrigin, HeaderOptions } from '@beer/syslog-header'

/** One received frame, as listeners hand it on: the text and where it came from. */
export interface RawFrame {
  text: string
  origin: FrameOrigin
}

/**
 * The RFC 3164 / RFC 5424 header parse as a decoder module: the runtime runs it where the parsers
 * run, so with parsers in worker threads the header parse leaves the main thread too, and only
 * the frame text crosses to the worker.
 */
export function syslogHeader(options: HeaderOptions = {}): ModuleDescriptor<'decoder', HeaderOptions> {
  return describeModule('decoder', 'syslog-header', import.meta.url, options)
}

export function create(options: HeaderOptions): Decoder {
  const opts: HeaderOptions = { ...options }
  return {
    decode: (f) => {
      const frame = f as RawFrame
      return parseSyslog(frame.text, frame.origin, opts)
    },
  }
}

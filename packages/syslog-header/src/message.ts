/**
 * One received syslog message after framing and header parsing: the input every parser sees.
 * A plain object (it crosses thread and process boundaries). Absent header parts are '' or -1,
 * never undefined, so every message has the same shape.
 */
export interface SyslogMessage {
  /** The frame as received (decoded as UTF-8), without framing bytes. */
  raw: string
  /** When the frame was received, epoch milliseconds. Parsers use this, never the clock. */
  receivedAt: number
  transport: Transport
  /** The sender's address ('' for a Unix socket). */
  sourceAddress: string
  sourcePort: number
  /** The listener URL the message came in on. */
  listener: string
  /** Which header grammar matched. 'none' when the frame has no recognisable header. */
  format: HeaderFormat
  /** PRI value 0..191, or -1 when the frame had none. */
  pri: number
  facility: number
  severity: number
  /** RFC 5424 VERSION; 0 for other formats. */
  version: number
  /** The header timestamp as epoch milliseconds, or -1 when there is none or it is unreadable. */
  timestamp: number
  /** The timestamp exactly as sent ('' when none). */
  timestampText: string
  /**
   * True when the timestamp carried its own zone (RFC 5424, ISO 8601 with offset); false when it
   * was read in the configured default zone (BSD timestamps).
   */
  timestampHasZone: boolean
  hostname: string
  /** RFC 5424 APP-NAME, or the RFC 3164 TAG's program part (`sshd` of `sshd[42]:`). */
  appname: string
  procid: string
  msgid: string
  /** RFC 5424 STRUCTURED-DATA by SD-ID, then PARAM-NAME; a repeated PARAM-NAME gives an array. */
  structuredData: StructuredData | null
  /** The MSG part: the free text after the header (a UTF-8 BOM removed). */
  message: string
  /** True when the frame was cut at the maximum message size. */
  truncated: boolean
}

export type Transport = 'udp' | 'tcp' | 'tls' | 'unix' | 'none'
export type HeaderFormat = 'rfc5424' | 'rfc3164' | 'none'
export type StructuredData = { [sdId: string]: { [param: string]: string | string[] } }

/** Where a frame came from; the listener fills it, the header parser copies it in. */
export interface FrameOrigin {
  receivedAt: number
  transport: Transport
  sourceAddress: string
  sourcePort: number
  listener: string
  truncated?: boolean
}

export interface HeaderOptions {
  /**
   * Zone for timestamps that carry none (RFC 3164): 'UTC', 'local', a fixed offset ('+02:00'),
   * or an IANA name ('Europe/Zurich'). Default 'UTC'.
   */
  timezone?: string
}

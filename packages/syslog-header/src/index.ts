export { parseSyslog } from './parse.ts'
export { toEvent } from './event.ts'
export type { ToEventOptions } from './event.ts'
export { facilityName, severityName } from './names.ts'
export { isKnownTimezone, civilToEpoch } from './zone.ts'
export type {
  SyslogMessage,
  FrameOrigin,
  HeaderOptions,
  HeaderFormat,
  Transport,
  StructuredData,
} from './message.ts'

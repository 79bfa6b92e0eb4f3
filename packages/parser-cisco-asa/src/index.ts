export { ciscoAsa } from './cisco-asa.ts'
export type { CiscoAsaEvent, CiscoAsaOptions } from './cisco-asa.ts'
export type { LogEvent } from '@beer/parser-sdk'

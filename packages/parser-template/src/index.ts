export { acmeFw } from './acme-fw.ts'
export type { AcmeFwOptions } from './acme-fw.ts'
export type { LogEvent } from '@beer/parser-sdk'

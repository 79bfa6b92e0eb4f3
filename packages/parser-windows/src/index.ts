export { windows } from './windows.ts'
export type { WindowsEvent, WindowsOptions } from './windows.ts'
export type { LogEvent } from '@beer/parser-sdk'

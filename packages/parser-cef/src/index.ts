export { cef, create } from './cef.ts'
export type { CefOptions, CefEvent } from './cef.ts'

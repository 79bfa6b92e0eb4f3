export { snort, create } from './snort.ts'
export type { SnortOptions, SnortEvent } from './snort.ts'

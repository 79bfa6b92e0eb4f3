export { netfilter, create } from './netfilter.ts'
export type { NetfilterOptions, NetfilterEvent, NetfilterVerdict } from './netfilter.ts'

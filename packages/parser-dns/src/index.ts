export { dns, create } from './dns.ts'
export type { DnsOptions, DnsEvent } from './dns.ts'

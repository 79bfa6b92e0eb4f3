export { dhcpd, create } from './dhcpd.ts'
export type { DhcpdOptions, DhcpdEvent } from './dhcpd.ts'

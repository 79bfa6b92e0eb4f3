export { linuxAuth, create } from './linux-auth.ts'
export type { LinuxAuthOptions, LinuxAuthEvent } from './linux-auth.ts'

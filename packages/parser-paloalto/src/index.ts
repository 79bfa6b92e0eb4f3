export { paloalto, create } from './paloalto.ts'
export type { PaloAltoOptions, PaloAltoEvent } from './paloalto.ts'

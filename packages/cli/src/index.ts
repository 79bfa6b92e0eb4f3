export { main, EXIT } from './cli.ts'
export { renderStatus } from './format.ts'
export type { Rates } from './format.ts'

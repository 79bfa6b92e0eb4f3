export { logins } from './logins.ts'
export type { LoginsOptions, LoginMatch, RiskPoints, AnomalyKind } from './options.ts'
export type { LoginAlert, LoginAlertFacts, Finding, LoginsStatus } from './analyzer.ts'
export type { SnapshotStore } from './store.ts'

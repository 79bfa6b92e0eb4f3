export { metricsServer } from './metrics-server.ts'
export type { MetricsServer, MetricsServerOptions } from './metrics-server.ts'
export type { ListenerStatus, MetricsSource, ModuleStatus } from './status.ts'

export { nagios } from './nagios.ts'
export type { NagiosSinkOptions, CommandFileOptions, NscaOptions, NagiosState, StateRule } from './options.ts'
export type { NagiosSinkStatus, NagiosDropped } from './nagios-sink.ts'

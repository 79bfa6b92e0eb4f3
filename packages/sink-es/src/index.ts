export { elasticsearch } from './elasticsearch.ts'
export type { EsSinkOptions, EsAuth, FullPolicy, DocumentId } from './options.ts'
export type { EsSinkStatus } from './es-sink.ts'

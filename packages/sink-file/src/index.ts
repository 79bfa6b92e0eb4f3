export { file } from './file.ts'
export type { FileSinkOptions, FsyncPolicy, RotatedNaming } from './options.ts'
export type { FileSinkStatus, FileRotateAnswer } from './file-sink.ts'

import type { CheckResult } from './mapping.ts'

/** How check results leave: the external command file or NSCA. */
export interface Transport {
  readonly kind: 'command-file' | 'nsca'
  /** The path or host:port, for status and messages. */
  readonly target: string
  /** Sends at once. Results for one host and service are never in two sends at once. */
  readonly concurrency: number
  /** Results per send. */
  readonly batchSize: number
  /** Resolves when every result is delivered; rejects with a {@link DeliveryFailure}. */
  send(results: readonly CheckResult[]): Promise<void>
  close(): Promise<void>
}

/**
 * A send that did not deliver everything. `delivered` results at the front of the batch went
 * through. `rejected` is set when the receiver was reached but refused or cut off what it got
 * (an NSCA daemon closing on a bad packet): retrying the same results may never succeed, so such
 * failures count towards dropping them; an unreachable receiver (no Nagios, no daemon) does not.
 */
export class DeliveryFailure extends Error {
  readonly code: string
  readonly delivered: number
  readonly rejected: boolean

  constructor(code: string, message: string, delivered: number, rejected: boolean) {
    super(message)
    this.name = 'DeliveryFailure'
    this.code = code
    this.delivered = delivered
    this.rejected = rejected
  }
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

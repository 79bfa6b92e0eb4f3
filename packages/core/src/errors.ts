/**
 * Every error beer raises on purpose carries a stable `code` (`BEER_ERR_<AREA>_<WHAT>`), listed in
 * docs/errors.md. Errors cross thread and process boundaries as plain objects, so callers check
 * `code`, never `instanceof`.
 */
export class BeerError extends Error {
  readonly code: string
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'BeerError'
    this.code = code
    this.details = details
  }
}

/** The plain, cloneable shape of an error, as it travels between threads and into dead letters. */
export interface PlainError {
  code: string
  message: string
  stack?: string
  details?: Record<string, unknown>
}

export function toPlainError(err: unknown): PlainError {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; stack?: unknown; details?: unknown }
    const plain: PlainError = {
      code: typeof e.code === 'string' ? e.code : 'BEER_ERR_MODULE_THREW',
      message: typeof e.message === 'string' ? e.message : String(err),
    }
    if (typeof e.stack === 'string') plain.stack = e.stack
    if (e.details !== null && typeof e.details === 'object') plain.details = e.details as Record<string, unknown>
    return plain
  }
  return { code: 'BEER_ERR_MODULE_THREW', message: String(err) }
}

export function hasCode(err: unknown, code: string): boolean {
  return err !== null && typeof err === 'object' && (err as { code?: unknown }).code === code
}

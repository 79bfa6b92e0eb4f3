export type Runtime =
  | { found: true; name: string; path: string; version: string }
  | { found: false; name: string; reason: string }
export function findBun(): Runtime
export function findDeno(): Runtime

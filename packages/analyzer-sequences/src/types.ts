import type { Condition } from './conditions.ts'

/** Milliseconds, or text such as `'30s'`, `'10m'`, `'1h'`, `'2d'`. */
export type Duration = number | string

/**
 * What makes events "about the same thing":
 * - a field path (`'user.name'`), or several (`['user.name', 'source.ip']`) that must all match;
 * - `{ any: { 'host.name': ['host.name', 'related.hosts'], … } }`: entity classes, each named by the
 *   field the alert reports it in and read from any of the listed fields. An event joins the window
 *   of every entity it names (an IDS alert about a host and two addresses joins three).
 */
export type KeySpec = string | readonly string[] | { any: Readonly<Record<string, readonly string[]>> }

/** One alternative of a step: a condition and, when its events name the entity differently, its own key fields. */
export interface StepAlternative {
  where: Condition
  /** This alternative's key fields, in the same number (or the same entity classes) as the rule's `by`. */
  by?: KeySpec
}

export interface SequenceStep {
  /** Named in the alert (`event.reason`, `beer.sequence.steps`). Default `step1`, `step2`, … */
  name?: string
  where?: Condition
  /** The step's own key fields (per-step key mapping): step 1 keys on `group.name`, step 2 on `user.target.name`. */
  by?: KeySpec
  /** Alternatives, each with its condition and key fields; instead of `where`. */
  oneOf?: readonly StepAlternative[]
  /** The step must match this many times in a row (1 to 1000). Default 1. */
  runs?: number
}

interface RuleCommon {
  /** Unique, stable; letters, digits, `.`, `_`, `-`. Becomes `rule.id` and `event.action` of alerts. */
  id: string
  name?: string
  description?: string
  /** `rule.ruleset`. Default `'beer-sequences'` (shipped rules) or `'custom'`. */
  ruleset?: string
  /** Default true. */
  enabled?: boolean
  /** `event.severity` of alerts (a number; higher is worse). Default 5. */
  severity?: number
  /** `event.risk_score` of alerts, 0 to 100. Default 50. */
  risk_score?: number
  /** `event.category` of alerts. Default `['intrusion_detection']`. */
  category?: string | readonly string[]
  tags?: readonly string[]
  /** `rule.reference`, `rule.author`, `rule.version`, `rule.license`. */
  reference?: string
  author?: string
  version?: string
  license?: string
  /** The entity. Without it the rule counts every matching event together. */
  by?: KeySpec
  /** Compare key values without regard to case (`BOB` and `bob` are one account). Default false. */
  keysIgnoreCase?: boolean
}

/** Ordered steps about the same entity, first to last within `maxspan`. */
export interface SequenceRule extends RuleCommon {
  type: 'sequence'
  steps: readonly SequenceStep[]
  maxspan: Duration
}

/** `count` matching events about the same entity within `window`. */
export interface ThresholdRule extends RuleCommon {
  type: 'threshold'
  where: Condition
  count: number
  window: Duration
}

/** `count` different values of `field` among matching events about the same entity within `window`. */
export interface DistinctRule extends RuleCommon {
  type: 'distinct'
  where: Condition
  field: string
  count: number
  window: Duration
  /**
   * Raise the new alert's priority above those it correlates: `event.severity` becomes the highest
   * cause severity plus `severity`, `event.risk_score` the highest cause risk score plus
   * `risk_score` for each value beyond the first (at most 100); never below the rule's own.
   */
  escalate?: { severity?: number; risk_score?: number }
}

export type Rule = SequenceRule | ThresholdRule | DistinctRule

/** Changes to a shipped rule, by id: merged over it (`{ maxspan: '24h' }`, `{ enabled: false }`). */
export type RuleOverride = Partial<Omit<SequenceRule, 'type' | 'id'>> &
  Partial<Omit<ThresholdRule, 'type' | 'id'>> &
  Partial<Omit<DistinctRule, 'type' | 'id'>>

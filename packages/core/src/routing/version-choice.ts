/**
 * Which version of a matched service takes a request (docs/configuration.md, `routing`): the one
 * the request names (`x-switchyard-version`: a version or a semver range), else the configured
 * default, else the highest release version with an eligible instance (pre-releases only when
 * no release version has one).
 */
import semver from 'semver';
import type { RouteCandidate, RouteMatch, VersionChoice } from './types.js';

/** Distinct versions whose pre-release flag is remembered; past this the cache starts over. */
const PRERELEASE_CACHE_MAX = 1_000;

/** What version choice asks of the instances: is there one that takes work for this endpoint? */
export interface EligibilityCheck {
  hasEligible(service: string, version: string, routeKey: string): boolean;
}

export class VersionChooser {
  private readonly prereleaseCache = new Map<string, boolean>();

  constructor(
    private readonly defaultVersions: ReadonlyMap<string, string>,
    private readonly instances: EligibilityCheck,
  ) {}

  choose(match: Extract<RouteMatch, { kind: 'found' }>, requested?: string): VersionChoice {
    const { service, candidates } = match;
    const selector = requested?.trim();
    if (selector !== undefined && selector !== '') return this.fromSelector(match, selector, 'header');
    const configured = this.defaultVersions.get(service);
    if (configured !== undefined) return this.fromSelector(match, configured, 'default');
    // Plain loops, no per-request closures: this runs for every request without a version header.
    let chosen: RouteCandidate | undefined;
    for (const c of candidates) {
      if (!this.isPrerelease(c.version) && this.instances.hasEligible(service, c.version, c.routeKey)) {
        chosen = c;
        break;
      }
    }
    if (chosen === undefined) {
      for (const c of candidates) {
        if (this.instances.hasEligible(service, c.version, c.routeKey)) {
          chosen = c;
          break;
        }
      }
    }
    if (chosen === undefined) return { kind: 'unavailable', service, versions: candidates.map((c) => c.version) };
    return { kind: 'chosen', service, version: chosen.version, candidate: chosen, source: 'highest' };
  }

  private fromSelector(match: Extract<RouteMatch, { kind: 'found' }>, value: string, source: 'header' | 'default'): VersionChoice {
    const { service, candidates } = match;
    const matching = semver.validRange(value) === null ? [] : candidates.filter((c) => semver.satisfies(c.version, value));
    if (matching.length === 0) return { kind: 'version-not-found', service, requested: value, source };
    const chosen = matching.find((c) => this.instances.hasEligible(service, c.version, c.routeKey));
    if (chosen === undefined) return { kind: 'unavailable', service, versions: matching.map((c) => c.version) };
    return { kind: 'chosen', service, version: chosen.version, candidate: chosen, source };
  }

  /** semver.prerelease() parses the version on every call; registered versions are few, so remember the answer. */
  private isPrerelease(version: string): boolean {
    let pre = this.prereleaseCache.get(version);
    if (pre === undefined) {
      pre = semver.prerelease(version) !== null;
      if (this.prereleaseCache.size >= PRERELEASE_CACHE_MAX) this.prereleaseCache.clear();
      this.prereleaseCache.set(version, pre);
    }
    return pre;
  }
}

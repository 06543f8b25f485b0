/**
 * Assembles the admin surface of a gateway from its `admin` config and its admin access: the admin
 * API, the redrive tasks and the console. `createGateway` calls it once; without `admin` config nothing
 * here is built and the admin paths are not served.
 */
import type { Clock, Logger } from '@switchyard/core';
import type { RoutingState } from '@switchyard/core/internal';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminConfig } from '../config/admin-schema.js';
import type { GatewayMetrics } from '../operations/metrics.js';
import type { TransportSet } from '../transport-set.js';
import type { AdminAccess } from './access.js';
import { adminApi } from './admin-api.js';
import { gatewayAdminSources } from './admin-sources.js';
import { consoleAssets } from './console-assets.js';
import type { DrainedInstances } from './drained-instances.js';
import { RedriveTasks } from './redrive-tasks.js';
import { RouteStats } from './route-stats.js';

export interface AdminSurfaceParts {
  readonly config: AdminConfig;
  /** The gateway's one admin-access judge, shared with the routing view. */
  readonly access: AdminAccess;
  readonly routing: RoutingState;
  readonly transports: TransportSet;
  readonly drained: DrainedInstances;
  readonly metrics: GatewayMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface AdminSurface {
  /** Reusable by any endpoint that needs admin access (e.g. the routing view). */
  readonly access: AdminAccess;
  /** Request-path hook: true when the path was an admin or console path and has been answered. */
  handle(path: string, req: IncomingMessage, res: ServerResponse): boolean;
  /** Cancels running redrives and waits for them. */
  close(): Promise<void>;
}

export function createAdminSurface(parts: AdminSurfaceParts): AdminSurface {
  const { config, access, clock, logger } = parts;
  const tasks = new RedriveTasks(clock, logger);
  const sources = gatewayAdminSources({ routing: parts.routing, transports: parts.transports, drained: parts.drained, routeStats: new RouteStats(parts.metrics, clock), clock });
  const api = adminApi({ access, sources, tasks, logger });
  const page = config.console ? consoleAssets(logger) : undefined;
  return {
    access,
    handle: (path, req, res) => api(path, req, res) || (page?.(path, req, res) ?? false),
    close: () => tasks.close(),
  };
}

/**
 * The gateway's own `import`, handed to core's transport registry: a specifier imported here
 * resolves from this package's folder, where every transport package the gateway declares as a
 * dependency (transport-tcp, transport-valkey, transport-memory) is installed, also under npm's
 * isolated layout, where core's folder cannot see them.
 */
import type { PackageImporter } from '@switchyard/core';

export const importFromGateway: PackageImporter = (specifier) => import(specifier);

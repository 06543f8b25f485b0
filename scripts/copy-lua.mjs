#!/usr/bin/env node
// Part of `npm run build`: copies transport-valkey's Lua scripts (src/scripts/*.lua) next to the
// compiled registry in dist/scripts/, where it loads them, so the published dist is complete.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const pkg = new URL('../packages/transport-valkey/', import.meta.url).pathname;
const from = join(pkg, 'src/scripts');
const to = join(pkg, 'dist/scripts');
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((f) => f.endsWith('.lua'));
for (const f of files) copyFileSync(join(from, f), join(to, f));
console.log(`copied ${files.length} Lua scripts to ${to}`);

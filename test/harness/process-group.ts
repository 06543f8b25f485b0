/**
 * Process groups from /proc (Linux): which processes a command left behind. A command started
 * with `detached: true` leads its own group, so every process it spawned shares its pid as pgid.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface GroupMember {
  readonly pid: number;
  readonly command: string;
}

/** The live (non-zombie) processes whose process group is `pgid`. */
export function processGroupMembers(pgid: number): GroupMember[] {
  const members: GroupMember[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) !== pgid || state === 'Z') continue;
    let command = stat.slice(stat.indexOf('(') + 1, close);
    try {
      command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim() || command;
    } catch {
      // keep the short name
    }
    members.push({ pid: Number(name), command });
  }
  return members;
}

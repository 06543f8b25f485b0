// Preloaded into every test process by run-tests.mjs (node --import). On SIGUSR2 it writes to
// stderr what keeps the process alive: the active resources by kind (timers among them), then each
// socket (with its ports, so a server or a cluster node can be told apart), server and child
// process. run-tests.mjs sends SIGUSR2 to a test file that overran its time limit before it kills
// it, so a file that passed every test but never exited says why.
process.on('SIGUSR2', () => {
  const lines = [`[open handles] ${JSON.stringify(process.getActiveResourcesInfo())}`];
  // process._getActiveHandles() is undocumented but the only way to see the handles themselves.
  for (const handle of process._getActiveHandles()) {
    const kind = handle?.constructor?.name ?? typeof handle;
    if (kind === 'Socket' && handle.remotePort === undefined) {
      lines.push(`  socket (a pipe${handle.fd >= 0 && handle.fd <= 2 ? `: fd ${handle.fd}` : ''})`);
    } else if (kind === 'Socket') {
      lines.push(`  socket ${handle.localAddress ?? ''}:${handle.localPort ?? ''} -> ${handle.remoteAddress ?? ''}:${handle.remotePort ?? ''}${handle.destroyed ? ' (destroyed)' : ''}`);
    } else if (kind === 'ChildProcess') {
      lines.push(`  child process ${handle.pid} ${(handle.spawnargs ?? []).join(' ').slice(0, 160)}`);
    } else {
      lines.push(`  ${kind}`);
    }
  }
  process.stderr.write(`${lines.join('\n')}\n`);
});

/** Builds the console bundle into the gateway package's console-dist/; resolves with that directory. */
export function buildConsole(): Promise<string>;

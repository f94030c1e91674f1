// Types of scripts/start.mjs for the TypeScript tests that reuse its Electron lookup.
export declare function findElectron(o?: {
  root?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  probe?: boolean;
}): { ok: true; path: string } | { ok: false; reason: string };
export declare function shouldForward(signal: NodeJS.Signals, o: { terminal: boolean; forwarded: ReadonlySet<string> }): boolean;
export declare function run(command: string, args: string[], o?: { terminal?: boolean; cwd?: string; env?: NodeJS.ProcessEnv }): void;
export declare function electronArgs(root: string, extra?: string[]): string[];

// Types of scripts/start.mjs for the TypeScript tests that reuse its Electron lookup.
export declare function findElectron(o?: {
  root?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  probe?: boolean;
}): { ok: true; path: string } | { ok: false; reason: string };

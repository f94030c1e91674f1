// Types of scripts/package-lib.mjs for the TypeScript tests.
export interface AppEntry {
  path: string;
  size: number;
  mode?: number;
}
export interface AppSummary {
  files: number;
  bytes: number;
  maps: number;
  packages: string[];
  areas: [string, number][];
}
export declare const DEV_ONLY_TOP: string[];
export declare function appIdOfMain(mainTs: string): string;
export declare function renderBuilderTemplate(text: string, macros: Record<string, string>): string;
export declare function configProblems(cfg: any, o: { appId: string; root: string; serverOnly?: Set<string> }): string[];
export declare const SERVER_ONLY_DEPENDENCIES: string[];
export declare function serverOnlyPackages(lock: any, pkg: { dependencies?: Record<string, string> }, roots?: string[]): Set<string>;
export declare function excludedPackages(files: string[]): Set<string>;
export declare function lockPackages(lock: unknown): { prod: Set<string>; dev: Set<string> };
/** This repository's own workspace packages (lock entries outside node_modules/), by name. */
export declare function workspacePackages(lock: unknown): Set<string>;
export declare function requiredAppFiles(pkg: { dependencies?: Record<string, string> }, trayStates: string[]): string[];
export declare function packageOf(path: string): string | null;
export declare function inspectApp(
  entries: AppEntry[],
  o: { required: string[]; prod: Set<string>; dev: Set<string>; serverOnly?: Set<string>; workspaces?: Set<string>; budget: number; appPackageJson?: Record<string, any> | null },
): { problems: string[]; summary: AppSummary };
export declare function formatBytes(n: number): string;
export declare function listDir(dir: string): AppEntry[];
export declare function listTar(buf: Buffer): { path: string; size: number; mode: number; type: string }[];
export declare function listTarGz(buf: Buffer): { path: string; size: number; mode: number; type: string }[];
export declare function listAsar(buf: Buffer): { path: string; size: number; offset: number; unpacked: boolean }[];
export declare function readAsarFile(buf: Buffer, path: string): Buffer | null;
export declare function writeStubElectron(dir: string, o: { node?: string; version: string }): string;
export declare function electronVersion(root: string): string;
export declare function platformTargets(cfg: any, platform: NodeJS.Platform): string[];
export declare function downloadsNeeded(o: {
  platform: NodeJS.Platform;
  arch: string;
  targets: string[];
  version: string;
  electronDist: string | null;
  env: NodeJS.ProcessEnv;
  has7za: boolean;
  hasFpm: boolean;
}): { what: string; instead: string }[];
export declare function cannotPackageMessage(o: { platform: string; targets: string[]; needs: { what: string; instead: string }[]; probe: string }): string;
export declare function writeFakeFpm(dir: string, o: { node?: string; capture: string }): string;
export declare function desktopKeys(text: string): Record<string, string>;
export declare function debProblems(
  capture: { args: string[]; desktop?: string | null; afterInstall?: string | null; afterRemove?: string | null },
  o: { version: string; executable?: string; product?: string; iconSizes?: number[] },
): string[];

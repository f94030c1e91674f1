import type { BuildOptions } from 'esbuild';
export declare const NODE_BUILD: BuildOptions;
export declare const CLI_BUILD: BuildOptions;

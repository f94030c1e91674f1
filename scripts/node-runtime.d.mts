// Types of scripts/node-runtime.mjs for the TypeScript tests.
export declare function runtimePackage(platform: string, arch: string): { name: string; binary: string[] } | null;
export declare function newestOfLine(versions: unknown, major: number): string | null;

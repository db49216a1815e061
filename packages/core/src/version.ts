import { createRequire } from 'node:module';

/** The running core's version, from its own manifest (the number plugins' `core` ranges are checked against). */
export const CORE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

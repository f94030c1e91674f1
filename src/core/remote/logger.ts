/**
 * The logger slice the transports take: the wire peer's (`src/wire/logger.ts`), under the name
 * the engine uses for it.
 */
export { frameSink, silentLogger, type PeerLogger as RemoteLogger } from '../../wire/logger.js';

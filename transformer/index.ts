/** `faultline/transformer`: the one instrumentation core the tsc, Vite, Node-hook and Jest adapters call. */
export { instrument } from './instrument.js';
export type { InstrumentOptions, InstrumentResult, ProbeSite } from './instrument.js';
export type { SourceMapLike } from './insertions.js';
export { InstrumentDepthError, InstrumentInputError, InstrumentSyntaxError } from './errors.js';
export { PRODUCTION_WARNING } from './header.js';

// The slice of istanbul-lib-instrument the benchmarks use (the package ships no types).
declare module 'istanbul-lib-instrument' {
  export interface InstrumenterOptions {
    esModules?: boolean;
    produceSourceMap?: boolean;
  }
  export interface Instrumenter {
    instrumentSync(code: string, filename: string): string;
  }
  export function createInstrumenter(options?: InstrumenterOptions): Instrumenter;
}

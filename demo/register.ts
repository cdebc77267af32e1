/**
 * Preloaded by `npm start` (after tsx): instruments the demo's fixtures with
 * faultline's own Node hooks, straight from the TypeScript sources (tsx
 * resolves `faultline/*` through tsconfig.json's `paths`), so the demo needs
 * no build step. Probe keys are relative to the repository root,
 * hence the chdir (npm runs scripts there anyway).
 */
import { fileURLToPath } from 'node:url';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
process.env.FAULTLINE_INCLUDE ||= 'fixtures/jobs/**,fixtures/workflows/**';
await import('faultline/register');

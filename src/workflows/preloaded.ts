/**
 * The workflow modules a hookwait worker evaluates once and shares across every run in its workflow cache, instead of
 * once per run (the bundler's `preloadModules`: `HOOKWAIT_PRELOAD_MODULES` in src/plugin.ts names this module).
 *
 * The SDK evaluates them before any run exists and then freezes what they export (deeply). So every module imported
 * here, and everything it imports, must be stateless and deterministic, and export nothing that is changed after
 * it is loaded:
 * - never `@temporalio/workflow`, `./runtime` (its `current` run) or any module importing them;
 * - no module-level `let`/`var`, and no module-level collection written after load;
 * - no exported zod schema (zod adds members to a schema on first use: `src/definitions/wait-timeout-input.ts` stays
 *   out for that reason, and so does `src/definitions/index.ts`, which re-exports it) and no exported regular
 *   expression with the `g` or `y` flag (their `lastIndex` changes).
 * test/unit/preloaded-modules.test.ts checks these rules on the modules this one loads.
 */
import { z } from 'zod';
import '../definitions/attributes';
import '../definitions/connector';
import '../definitions/definition-error';
import '../definitions/duration';
import '../definitions/outbound-env';
import '../definitions/poll';
import '../definitions/procedure';
import '../definitions/sender-auth';
import '../definitions/template-placeholders';
import '../definitions/trigger';
import '../definitions/unsafe-number';
import '../definitions/wait-point';
import '../definitions/webhook';
import '../definitions/zod-issues';
import '../core/escape';
import '../core/run-binding';
import '../core/run-state';
import '../core/wait-machine';
import './search-attributes';

// zod sets its global configuration (the default locale, the memoizer) when it builds its first schema; the SDK
// freezes that configuration with the preloaded modules, so build one here, before.
void z.object({ warm: z.array(z.string()) });

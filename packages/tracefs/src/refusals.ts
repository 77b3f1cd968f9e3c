/**
 * What this kernel refuses, found by trying it in a scratch instance of our own (created and
 * removed here, nothing else touched). Some kernels (or sandboxes around them) refuse writes that
 * the tracefs ABI documents — a changed `buffer_subbuf_size_kb` answers EPERM on some — and callers
 * (the recorder's options, tests) need to tell "refused here" from "broken".
 */
import { createPrivateInstance, destroyInstance } from './private-instance.js';
import { tracingUnavailableReason } from './paths.js';

let subbufCache: { kb: number; reason: string | undefined } | undefined;

/**
 * Why this kernel will not use `kb` KiB sub-buffers: a sentence naming the file and the refusal
 * (`kernel refuses: buffer_subbuf_size_kb = 8 (EPERM)`, or that the file does not exist), or
 * undefined when an instance accepts it. Probed once per process and size; needs root and tracefs.
 */
export function subbufSizeRefusal(kb = 8): string | undefined {
  if (subbufCache?.kb === kb) return subbufCache.reason;
  const why = tracingUnavailableReason();
  if (why) return `tracefs is not usable (${why})`;
  const inst = createPrivateInstance();
  let reason: string | undefined;
  try {
    if (inst.subbufSizeKb() === undefined) reason = 'kernel refuses: sub-buffer sizes (no buffer_subbuf_size_kb, Linux < 6.8)';
    else {
      try {
        inst.setSubbufSizeKb(kb);
      } catch (e) {
        const c = (e as { errno?: string }).errno ?? (e as { code?: string }).code ?? 'error';
        reason = `kernel refuses: buffer_subbuf_size_kb = ${kb} (${c})`;
      }
    }
  } finally {
    destroyInstance(inst);
  }
  subbufCache = { kb, reason };
  return reason;
}

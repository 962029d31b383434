/**
 * The detection thread (see src/pipeline/detectionHost.ts): runs one
 * DetectionCore and answers each message `{ id, method, args }` with
 * `{ id, result }` or `{ id, error }`, in message order. `{ exit: true }`
 * ends the thread.
 *
 * Completed traces' OTLP bytes go back by transfer when they own their
 * buffer. Plain JavaScript outside `src` so that the same file runs under
 * vitest (which cannot start a TypeScript worker) and from an installed
 * package; it loads the core from `dist` (built by `npm test` and `npm start`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DetectionCore } from '../dist/pipeline/detectionCore.js';

const core = new DetectionCore(workerData.options);

function wireError(err) {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const { code, path, line, column } = /** @type {any} */ (err);
  return { name: err.name, message: err.message, code, path, line, column };
}

/** The kept traces' byte buffers that can move to the other thread without a copy. */
function transferables(result) {
  const buffers = new Set();
  const completed = result !== null && typeof result === 'object' ? result.completed : undefined;
  if (Array.isArray(completed)) {
    for (const c of completed) {
      const bytes = c.kept?.otlp;
      if (bytes instanceof Uint8Array && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) buffers.add(bytes.buffer);
    }
  }
  return [...buffers];
}

parentPort.on('message', (message) => {
  if (message.exit) {
    parentPort.close();
    return;
  }
  const { id, method, args } = message;
  let result;
  try {
    result = core[method](...args);
  } catch (err) {
    parentPort.postMessage({ id, error: wireError(err) });
    return;
  }
  parentPort.postMessage({ id, result: result ?? null }, transferables(result));
});

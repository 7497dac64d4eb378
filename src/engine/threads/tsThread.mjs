// Starts a worker thread whose script is TypeScript source (running from source, no build step):
// the script is bundled into plain JavaScript and loaded as such (bin/source.mjs), so that the
// thread carries no compiler of its own; where that fails, the thread registers tsx (loader hooks
// are per thread, and neither `npx toonbot` nor a test runner passes them on).
import { workerData } from 'node:worker_threads';
import { importSource } from '../../../bin/source.mjs';

await importSource(workerData.entry);

// Starts a worker thread whose script is TypeScript source (running from source, no build step):
// loader hooks are per thread, so the thread registers tsx itself, then loads workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

/**
 * A restarted bot process takes back its jobs (same TOONBOT_INSTANCE): finished ones are answered
 * now through the adapters' `answerLater`, unfinished ones when they finish. Jobs without an
 * address (the studio's page is gone with its connection) are only cleaned up.
 */
import { ToonError, toToonError, type LateOutcome, type Logger, type ReplyAddress } from '../engine/expert.ts';
import type { QueuedJob } from './channel.ts';
import { decodeError, type JobReturn } from './protocol.ts';
import { outcomeOf, returnOf, type Finished, type RedisBackend } from './RedisBackend.ts';

export type AnswerLater = (replyTo: ReplyAddress, outcome: LateOutcome) => Promise<void>;

/** Takes back `backend.instance`'s jobs; returns how many. */
export async function recoverJobs(backend: RedisBackend, answerLater: AnswerLater, log: Logger): Promise<number> {
  const answer = (job: QueuedJob, outcome: Finished & { error?: ToonError }) => answerRecovered(backend, job, outcome, answerLater, log);
  let taken = 0;
  for (const job of await backend.channel.allJobs()) {
    const id = job.id as string;
    if (job.data.producer !== backend.instance || backend.pending.has(id)) continue;
    taken += 1;
    if (job.finishedOn !== undefined) {
      void answer(job, outcomeOf(job));
      continue;
    }
    const done = new Promise<JobReturn>((resolve, reject) => backend.pending.set(id, { resolve, reject, addedAt: Date.now() }));
    void done.then(
      (returnvalue) => answer(job, { returnvalue }),
      (error: unknown) => answer(job, { error: toToonError(error) }),
    );
  }
  if (taken > 0) log.info('scale-out: took back jobs from before the restart', { jobs: taken });
  return taken;
}

async function answerRecovered(backend: RedisBackend, job: QueuedJob, outcome: Finished & { error?: ToonError }, answerLater: AnswerLater, log: Logger): Promise<void> {
  const id = job.id as string;
  try {
    if (!(await backend.channel.claim(id))) return;
    const replyTo = job.data.replyTo;
    let late: LateOutcome;
    if (outcome.error || outcome.failedReason !== undefined) late = { error: outcome.error ?? decodeError(outcome.failedReason) };
    else {
      const value = returnOf(outcome);
      const image = await backend.channel.output(id);
      late = image && value?.result ? { result: { ...value.result, image } } : { error: new ToonError('SHUTTING_DOWN') };
    }
    if (replyTo) await answerLater(replyTo, late);
    log.info('scale-out: answered a job from before the restart', { jobId: id, platform: replyTo?.platform ?? 'none', outcome: 'result' in late ? 'done' : late.error.code });
  } catch (error) {
    log.warn('scale-out: could not answer a job from before the restart', { jobId: id, error: error instanceof Error ? error.message : String(error) });
  } finally {
    await backend.channel.forget(id).catch(() => undefined);
  }
}

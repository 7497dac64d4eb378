/** The owners' commands, on either platform: block, unblock, allow, disallow, stats. */
import { type Logger } from '../../engine/index.ts';
import { ToonError } from './errors.ts';
import { texts, type Lang } from '../../i18n/index.ts';
import type { Community } from './community.ts';

export const OWNER_ACTIONS = ['block', 'unblock', 'allow', 'disallow', 'stats'] as const;
export type OwnerAction = (typeof OWNER_ACTIONS)[number];

/**
 * An owner command, on either platform: the text to answer with. `subject` is whom a list change
 * is about, as the platform named it (absent: the usage is the answer).
 * @throws ToonError OWNERS_ONLY for anyone who is not an owner; INVALID_OPTION for a bad id
 */
export async function ownerAction(community: Community, log: Logger, by: string, action: OwnerAction, subject: string | undefined, lang: Lang): Promise<string> {
  const t = texts(lang).ops;
  if (!community.access.isOwner(by)) {
    log.info('access: owner command refused', { user: by, command: action });
    throw new ToonError('OWNERS_ONLY');
  }
  if (action === 'stats') return community.stats ? t.stats(await community.stats.facts()) : '-';
  if (!subject) return t.usage;
  const list = action === 'block' || action === 'unblock' ? 'block' : 'allow';
  const on = action === 'block' || action === 'allow';
  await community.access.change(by, list, subject, on);
  return t.changed(list, subject, on);
}

/**
 * The refusals a front end makes before the engine sees a job, as ToonError codes of their own:
 * merged into the engine's code list (ErrorCodeMap) and registered with their English
 * descriptions. Front-end code imports ToonError from here, so the codes are known wherever they
 * are thrown.
 */
import { addErrorCodes } from '../../engine/index.ts';

export { ToonError } from '../../engine/index.ts';

export const FRONT_END_MESSAGES = {
  DOWNLOAD_LIMIT: 'That file is larger than this platform lets me download.',
  DOWNLOAD_FAILED: 'I could not download that file. Send it again.',
  GROUP_BUSY: 'This group already has many photos in line. Try again in a minute.',
  DELIVERY_FAILED: 'The cartoon is done, but I could not send it. Try a smaller resolution.',
  NOT_ALLOWED: 'Only the admins of this group can change that.',
  NOT_AVAILABLE: 'This bot is not available to you.',
  DAILY_LIMIT: 'You have used your photos for today. The count starts again at midnight UTC.',
  OWNERS_ONLY: "Only the bot's owners can do that.",
} as const;

type FrontEndCode = keyof typeof FRONT_END_MESSAGES;

declare module '../../engine/errors.ts' {
  interface ErrorCodeMap extends Record<FrontEndCode, true> {}
}

addErrorCodes(FRONT_END_MESSAGES);

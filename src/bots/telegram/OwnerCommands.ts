/**
 * The Telegram side of running the bot for a community: the owners' /block, /unblock, /allow,
 * /disallow and /stats, everyone's /queue, and the Cancel button under "Queued: #N".
 */
import type { CallbackQuery, Message } from 'telegraf/types';
import { toToonError, type Engine, type Logger } from '../../engine/index.ts';
import { errorText, pickLang, texts, type Lang } from '../../i18n/index.ts';
import { textContext } from '../shared/captions.ts';
import type { Community } from '../shared/community.ts';
import { ownerAction, type OwnerAction } from '../shared/ownerAction.ts';
import type { Outbox } from './send.ts';

export class OwnerCommands {
  constructor(
    private readonly engine: Engine,
    private readonly out: Outbox,
    private readonly community: Community,
    private readonly log: Logger,
  ) {}

  /** An owner command: done for owners, refused for anyone else (nothing changes). */
  async run(action: OwnerAction, message: Message, arg: string | undefined, replyTo: Message | undefined): Promise<void> {
    const lang = pickLang(message.from?.language_code);
    const by = `telegram:${message.from?.id ?? 0}`;
    const answer = (text: string) => this.out.reply(message.chat.id, message.message_id, text);
    try {
      await answer(await ownerAction(this.community, this.log, by, action, subjectOf(arg, replyTo), lang));
    } catch (error) {
      await answer(errorText(lang, toToonError(error), textContext(this.engine, 'telegram')));
    }
  }

  /** /queue: where the sender's photos are. */
  async queue(message: Message): Promise<void> {
    const lang = pickLang(message.from?.language_code);
    await this.out.reply(message.chat.id, message.message_id, texts(lang).ops.queue(this.community.cancels.of(`telegram:${message.from?.id ?? 0}`)));
  }

  /** A Cancel button: the photo's sender (or an owner) takes it out of the line. */
  async cancel(query: CallbackQuery, token: string): Promise<void> {
    const lang: Lang = pickLang(query.from.language_code);
    const presser = `telegram:${query.from.id}`;
    const outcome = this.community.cancels.press(token, presser, this.community.access.isOwner(presser));
    this.log.info('cancel button pressed', { user: presser, outcome });
    const t = texts(lang).ops;
    const text = outcome === 'cancelled' ? t.cancelled : outcome === 'not-yours' ? t.notYourJob : t.cancelGone;
    await this.out.call('answerCallbackQuery', () => this.out.telegram.answerCbQuery(query.id, text));
  }
}

/** Whom a list change is about: the replied-to message's sender, or the id given. */
function subjectOf(arg: string | undefined, replyTo: Message | undefined): string | undefined {
  if (arg) {
    if (/^(telegram|discord):/.test(arg)) return arg;
    if (/^-\d+$/.test(arg)) return `telegram:chat:${arg}`;
    if (/^\d+$/.test(arg)) return `telegram:${arg}`;
    return arg;
  }
  return replyTo?.from && !replyTo.from.is_bot ? `telegram:${replyTo.from.id}` : undefined;
}

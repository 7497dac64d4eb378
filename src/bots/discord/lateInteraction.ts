/**
 * A deferred interaction from before a restart, rebuilt from the journal: its deferred reply is
 * edited through the interaction's webhook (the token is valid for 15 minutes from the click,
 * whichever process holds it), so the job runs through CartoonJobs as if the bot had never stopped.
 */
import { InteractionWebhook, type Client, type WebhookMessageEditOptions } from 'discord.js';
import type { JobInteraction, JournalledInteraction } from './CartoonJobs.ts';

export function lateInteraction(client: Client<true>, facts: JournalledInteraction['interaction']): JobInteraction {
  const webhook = new InteractionWebhook(client, facts.applicationId, facts.token);
  const edit = (options: unknown) => webhook.editMessage('@original', options as WebhookMessageEditOptions);
  return {
    ...facts,
    // It was deferred before the restart: every answer is an edit of that reply.
    deferred: true,
    replied: false,
    editReply: edit,
    reply: edit as unknown as JobInteraction['reply'],
  };
}

/** What in a Telegram message can be cartoonised: a photo (its largest size) or an image file. */
import type { Message } from 'telegraf/types';

export interface Media {
  fileId: string;
  /** Size Telegram reports, bytes (absent for some old files). */
  fileSize?: number;
  /** A compressed photo, or a file sent as a document (answered with a file). */
  kind: 'photo' | 'document';
  fileName: string;
  /** The document's declared type, for refusing non-images before downloading. */
  mimeType?: string;
}

export function mediaOf(message: Message | undefined): Media | null {
  if (!message) return null;
  if ('photo' in message && message.photo.length > 0) {
    // Sizes come smallest first: the last one is the original resolution Telegram kept.
    const largest = message.photo[message.photo.length - 1];
    if (!largest) return null;
    return { fileId: largest.file_id, ...(largest.file_size === undefined ? {} : { fileSize: largest.file_size }), kind: 'photo', fileName: 'photo.jpg' };
  }
  if ('document' in message) {
    const d = message.document;
    return {
      fileId: d.file_id,
      ...(d.file_size === undefined ? {} : { fileSize: d.file_size }),
      kind: 'document',
      fileName: d.file_name ?? 'image',
      ...(d.mime_type === undefined ? {} : { mimeType: d.mime_type }),
    };
  }
  return null;
}

/** The caption or text of a message, whichever it has. */
export function textOf(message: Message): string | undefined {
  if ('caption' in message) return message.caption;
  if ('text' in message) return message.text;
  return undefined;
}

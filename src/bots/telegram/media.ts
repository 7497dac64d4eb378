/**
 * What in a Telegram message can be cartoonised: a photo (its largest size), an image file, or a
 * clip: a GIF (Telegram delivers it as an MP4 `animation`), a video, a round video note, or a
 * GIF/MP4/WebM sent as a file.
 */
import type { ClipRequest } from '../../engine/index.ts';
import type { Message } from 'telegraf/types';

/** How long a clip may be: Telegram's video notes last up to 60 s; other clips the engine's default. */
const VIDEO_NOTE_SECONDS = 60;

export interface Media {
  fileId: string;
  /** Size Telegram reports, bytes (absent for some old files). */
  fileSize?: number;
  /**
   * A compressed photo, a file sent as a document (answered with a file), or a clip (answered in
   * kind: an animation, a video, a round video note).
   */
  kind: 'photo' | 'document' | 'animation' | 'video' | 'video_note';
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
  // An animation message carries the same file as `document` too: the animation comes first.
  if ('animation' in message) {
    const a = message.animation;
    return {
      fileId: a.file_id,
      ...(a.file_size === undefined ? {} : { fileSize: a.file_size }),
      kind: 'animation',
      fileName: a.file_name ?? 'clip.mp4',
      ...(a.mime_type === undefined ? {} : { mimeType: a.mime_type }),
    };
  }
  if ('video' in message) {
    const v = message.video;
    return {
      fileId: v.file_id,
      ...(v.file_size === undefined ? {} : { fileSize: v.file_size }),
      kind: 'video',
      fileName: v.file_name ?? 'video.mp4',
      ...(v.mime_type === undefined ? {} : { mimeType: v.mime_type }),
    };
  }
  if ('video_note' in message) {
    const n = message.video_note;
    return { fileId: n.file_id, ...(n.file_size === undefined ? {} : { fileSize: n.file_size }), kind: 'video_note', fileName: 'note.mp4', mimeType: 'video/mp4' };
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

/** Whether a file of this declared type can be cartoonised: images, and clips (GIF, MP4, WebM...). */
export function acceptedType(mimeType: string): boolean {
  return mimeType.startsWith('image/') || mimeType.startsWith('video/');
}

/**
 * What the engine is told about clips for this media: answered with an MP4 (what Telegram plays as
 * an animation, a video or a video note), a centre square for a video note, and its length limit.
 */
export function clipRequest(media: Media): ClipRequest {
  return media.kind === 'video_note' ? { format: 'mp4', square: true, maxSeconds: VIDEO_NOTE_SECONDS } : { format: 'mp4' };
}

/** The caption or text of a message, whichever it has. */
export function textOf(message: Message): string | undefined {
  if ('caption' in message) return message.caption;
  if ('text' in message) return message.text;
  return undefined;
}

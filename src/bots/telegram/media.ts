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
  if ('animation' in message) return fileMedia('animation', message.animation, 'clip.mp4');
  if ('video' in message) return fileMedia('video', message.video, 'video.mp4');
  if ('video_note' in message) return fileMedia('video_note', { ...message.video_note, mime_type: 'video/mp4' }, 'note.mp4');
  if ('document' in message) return fileMedia('document', message.document, 'image');
  return null;
}

/** A file Telegram describes (id, size, name and type where it gives them) as Media of `kind`. */
function fileMedia(kind: Media['kind'], file: { file_id: string; file_size?: number; file_name?: string; mime_type?: string }, fallbackName: string): Media {
  return {
    fileId: file.file_id,
    ...(file.file_size === undefined ? {} : { fileSize: file.file_size }),
    kind,
    fileName: file.file_name ?? fallbackName,
    ...(file.mime_type === undefined ? {} : { mimeType: file.mime_type }),
  };
}

/** Whether a file of this declared type can be cartoonised: images, and clips (GIF, MP4, WebM...). */
export function acceptedType(mimeType: string): boolean {
  return mimeType.startsWith('image/') || mimeType.startsWith('video/');
}

/**
 * What the engine is told about clips for this media: answered with an MP4 (what Telegram plays as
 * an animation, a video or a video note), a centre square for a video note, and its length limit;
 * a video (or a video sent as a file) keeps its sound.
 */
export function clipRequest(media: Media): ClipRequest {
  if (media.kind === 'video_note') return { format: 'mp4', square: true, maxSeconds: VIDEO_NOTE_SECONDS };
  // A video keeps its sound; an animation has none.
  return { format: 'mp4', sound: media.kind !== 'animation' };
}

/** The caption or text of a message, whichever it has. */
export function textOf(message: Message): string | undefined {
  if ('caption' in message) return message.caption;
  if ('text' in message) return message.text;
  return undefined;
}

/**
 * User-facing texts of both bots, English and Simplified Chinese, English as the fallback.
 * Engine error codes map to specific, friendly texts here; nothing else reaches users.
 */
import { OPTION_LIMITS, OUTPUT_FORMATS, type CartoonResult, type ErrorCode, type ToonError } from '../../engine/index.ts';

export type Lang = 'en' | 'zh';

/** `zh`, `zh-hans`, `zh-CN`... -> zh; anything else (or nothing) -> en. */
export function pickLang(code: string | undefined | null): Lang {
  return code?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

type Catalog = {
  errors: Record<ErrorCode, string>;
  invalidOption: (option: string, styles: readonly string[]) => string;
  unknownWord: (word: string) => string;
  fileTooBig: (limitMb: number) => string;
  queued: (position: number) => string;
  processing: string;
  albumProgress: (done: number, total: number) => string;
  albumPartial: (failed: number, total: number) => string;
  timings: (queue: string, processing: string, total: string) => string;
  seconds: (s: number) => string;
  help: (botName: string) => string;
  needPhoto: string;
  settingsTitle: (s: { strength: number; resolution: number; style: string; format: string }) => string;
  settingsLabels: { strength: string; resolution: string; style: string; format: string };
  saved: string;
  noFace: string;
  discordInLine: (position: number) => string;
  discordExpired: string;
  discordNotYours: (userId: string) => string;
  discordGuildBusy: string;
  discordTooLong: string;
  discordDownloadFailed: string;
  discordResized: string;
  discordStronger: string;
  discordSofter: string;
  discordDelete: string;
};

const en: Catalog = {
  errors: {
    UNSUPPORTED_IMAGE: 'That is not an image I can read. Send a photo (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF).',
    CORRUPT_IMAGE: 'That image looks damaged or incomplete. Try sending it again.',
    IMAGE_TOO_LARGE: 'That image is too large for me (at most 40 megapixels). Try a smaller one.',
    INVALID_OPTION: 'One of the options is not valid.',
    QUEUE_FULL: 'I am very busy right now and the line is full. Please try again in a minute.',
    USER_BUSY: 'You already have photos in line. Wait for them to finish, then send more.',
    TIMEOUT: 'That took too long and was stopped. Try a smaller resolution, or try again later.',
    CANCELLED: 'The request was cancelled.',
    MODEL_UNAVAILABLE: 'That style is not available right now. Try another one in /settings.',
    SHUTTING_DOWN: 'I am restarting. Please send it again in a moment.',
    INTERNAL: 'Something went wrong on my side. Please try again.',
  },
  invalidOption: (option, styles) => {
    if (option === 'strength') return `Strength must be a number from ${OPTION_LIMITS.strength.min} to ${OPTION_LIMITS.strength.max}, like 0.7.`;
    if (option === 'resolution') return `Resolution must be a whole number from ${OPTION_LIMITS.resolution.min} to ${OPTION_LIMITS.resolution.max}, like 1024.`;
    if (option === 'format') return `Format must be one of ${OUTPUT_FORMATS.join(', ')}.`;
    return `Style must be one of ${styles.join(', ')}.`;
  },
  unknownWord: (word) => `I do not understand "${word}". Try: /cartoon 0.8 1024, or strength=0.8 res=2048 format=webp.`,
  fileTooBig: (mb) => `That file is larger than ${mb} MB, the most a Telegram bot can download. Send it compressed (as a photo) or smaller.`,
  queued: (n) => `Queued: #${n} in line…`,
  processing: 'Cartoonising…',
  albumProgress: (done, total) => `Cartoonising the album: ${done}/${total}…`,
  albumPartial: (failed, total) => `${failed} of ${total} photos could not be cartoonised.`,
  timings: (queue, processing, total) => `⏱ queue ${queue} · processing ${processing} · total ${total}`,
  seconds: (s) => `${s.toFixed(1)} s`,
  help: (bot) =>
    [
      'Send me a photo and I send back a cartoon.',
      'Options go in the caption: /cartoon 0.8 1024, or strength=0.8 res=2048 style=toon format=webp.',
      'Strength 0..1 (photo to full cartoon), resolution 256..2048 (long side), format png, jpeg or webp.',
      `In groups: a photo with /cartoon in its caption, /cartoon as a reply to a photo, or @${bot} on a photo.`,
      'Send it as a file to get a lossless file back. /settings sets this chat\'s defaults.',
    ].join('\n'),
  needPhoto: 'Send /cartoon with a photo, or as a reply to one.',
  settingsTitle: (s) => `Defaults for this chat: strength ${s.strength}, resolution ${s.resolution}, style ${s.style}, format ${s.format}.`,
  settingsLabels: { strength: 'Strength', resolution: 'Resolution', style: 'Style', format: 'Format' },
  saved: 'Saved',
  noFace: 'No face found: cartoonised the whole picture.',
  discordInLine: (n) => `#${n} in line…`,
  discordExpired: 'These buttons have expired. Run /cartoon again.',
  discordNotYours: (id) => `Only <@${id}> can delete this.`,
  discordGuildBusy: 'This server already has many photos in line. Try again in a minute.',
  discordTooLong: 'The line is too long to finish within Discord\'s 15 minutes. Try again in a few minutes.',
  discordDownloadFailed: 'I could not download that attachment. Upload it to Discord directly and try again.',
  discordResized: 'made smaller to fit Discord\'s upload limit',
  discordStronger: 'Stronger',
  discordSofter: 'Softer',
  discordDelete: 'Delete',
};

const zh: Catalog = {
  errors: {
    UNSUPPORTED_IMAGE: '这不是我能读取的图片。请发送照片（JPEG、PNG、WebP、GIF、TIFF、AVIF 或 HEIF）。',
    CORRUPT_IMAGE: '这张图片似乎已损坏或不完整，请重新发送。',
    IMAGE_TOO_LARGE: '这张图片太大了（最多 4000 万像素），请换一张小一点的。',
    INVALID_OPTION: '有一个参数无效。',
    QUEUE_FULL: '现在太忙了，队列已满。请一分钟后再试。',
    USER_BUSY: '你已经有照片在排队了，请等它们完成后再发送。',
    TIMEOUT: '处理时间太长，已停止。请尝试更低的分辨率，或稍后再试。',
    CANCELLED: '请求已取消。',
    MODEL_UNAVAILABLE: '这个风格暂时不可用，请在 /settings 中换一个。',
    SHUTTING_DOWN: '我正在重启，请稍后再发送。',
    INTERNAL: '我这边出了点问题，请再试一次。',
  },
  invalidOption: (option, styles) => {
    if (option === 'strength') return `强度应为 ${OPTION_LIMITS.strength.min} 到 ${OPTION_LIMITS.strength.max} 之间的数字，例如 0.7。`;
    if (option === 'resolution') return `分辨率应为 ${OPTION_LIMITS.resolution.min} 到 ${OPTION_LIMITS.resolution.max} 之间的整数，例如 1024。`;
    if (option === 'format') return `格式应为 ${OUTPUT_FORMATS.join('、')} 之一。`;
    return `风格应为 ${styles.join('、')} 之一。`;
  },
  unknownWord: (word) => `我不明白“${word}”。试试：/cartoon 0.8 1024，或 strength=0.8 res=2048 format=webp。`,
  fileTooBig: (mb) => `这个文件超过 ${mb} MB，Telegram 机器人无法下载。请以照片形式（压缩）发送，或发送更小的文件。`,
  queued: (n) => `排队中：第 ${n} 位…`,
  processing: '正在卡通化…',
  albumProgress: (done, total) => `正在处理相册：${done}/${total}…`,
  albumPartial: (failed, total) => `${total} 张照片中有 ${failed} 张无法处理。`,
  timings: (queue, processing, total) => `⏱ 排队 ${queue} · 处理 ${processing} · 总计 ${total}`,
  seconds: (s) => `${s.toFixed(1)} 秒`,
  help: (bot) =>
    [
      '发给我一张照片，我会回复它的卡通版本。',
      '在说明文字里写参数：/cartoon 0.8 1024，或 strength=0.8 res=2048 style=toon format=webp。',
      '强度 0..1（从照片到完全卡通），分辨率 256..2048（长边），格式 png、jpeg 或 webp。',
      `在群组中：带 /cartoon 说明的照片、回复照片的 /cartoon，或在照片上 @${bot}。`,
      '以文件形式发送可得到无损文件。/settings 设置本聊天的默认值。',
    ].join('\n'),
  needPhoto: '请随照片发送 /cartoon，或用它回复一张照片。',
  settingsTitle: (s) => `本聊天的默认值：强度 ${s.strength}，分辨率 ${s.resolution}，风格 ${s.style}，格式 ${s.format}。`,
  settingsLabels: { strength: '强度', resolution: '分辨率', style: '风格', format: '格式' },
  saved: '已保存',
  noFace: '没有找到人脸：已卡通化整张图片。',
  discordInLine: (n) => `排队第 ${n} 位…`,
  discordExpired: '这些按钮已过期，请重新运行 /cartoon。',
  discordNotYours: (id) => `只有 <@${id}> 可以删除。`,
  discordGuildBusy: '这个服务器已有很多照片在排队，请一分钟后再试。',
  discordTooLong: '队列太长，无法在 Discord 的 15 分钟内完成。请几分钟后再试。',
  discordDownloadFailed: '无法下载这个附件。请直接上传到 Discord 后再试。',
  discordResized: '已缩小以符合 Discord 的上传限制',
  discordStronger: '更强',
  discordSofter: '更弱',
  discordDelete: '删除',
};

const CATALOGS: Record<Lang, Catalog> = { en, zh };

export function texts(lang: Lang): Catalog {
  return CATALOGS[lang];
}

/** The text for an engine error, specific to the option when one is named. */
export function errorText(lang: Lang, error: ToonError, styles: readonly string[]): string {
  const t = texts(lang);
  if (error.code === 'INVALID_OPTION') {
    if (typeof error.detail.word === 'string') return t.unknownWord(error.detail.word);
    if (typeof error.detail.option === 'string') return t.invalidOption(error.detail.option, styles);
  }
  return t.errors[error.code];
}

/** What users are shown as "processing": decode, model and encode, without the wait in line. */
export function processingMs(result: CartoonResult): number {
  return result.timings.decode + result.timings.inference + result.timings.encode;
}

/** The caption under a result: timings, and a note when a portrait style found no face. */
export function resultCaption(lang: Lang, result: CartoonResult, totalMs: number): string {
  const timing = timingsCaption(lang, result.timings.queued, processingMs(result), totalMs);
  return result.portrait?.noFace ? `${timing}\n${texts(lang).noFace}` : timing;
}

/** "⏱ queue 0.2 s · processing 1.1 s · total 1.6 s" */
export function timingsCaption(lang: Lang, queuedMs: number, processingMs: number, totalMs: number): string {
  const t = texts(lang);
  return t.timings(t.seconds(queuedMs / 1000), t.seconds(processingMs / 1000), t.seconds(totalMs / 1000));
}

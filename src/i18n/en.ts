/** English texts: the fallback for every language. Where the engine's own description says it all, it is used as it is. */
import { FRONT_END_MESSAGES } from '../bots/shared/errors.ts';
import { DEFAULT_MESSAGES, OPTION_LIMITS, OUTPUT_FORMATS } from '../engine/index.ts';
import { megabytes, resetIn, statsText, type Catalog } from './catalog.ts';

const { strength, resolution } = OPTION_LIMITS;

export const en: Catalog = {
  errors: {
    UNSUPPORTED_IMAGE: () => DEFAULT_MESSAGES.UNSUPPORTED_IMAGE,
    CORRUPT_IMAGE: () => DEFAULT_MESSAGES.CORRUPT_IMAGE,
    IMAGE_TOO_LARGE: (c, d) =>
      d.maxSeconds !== undefined
        ? `That clip is ${Number(d.seconds)} s long; I cartoonise clips of up to ${Number(d.maxSeconds)} s. Trim it and send it again.`
        : d.maxBytes !== undefined
          ? `That file is too large for me (at most ${megabytes(d)} MB). Try a smaller one.`
          : `That image is too large for me (at most ${c.maxMegapixels} megapixels). Try a smaller one.`,
    INVALID_OPTION: (_c, d) =>
      ({
        badField: 'One of the form fields has a name that is not allowed.',
        photoField: 'Send the photo in the form field named "photo".',
        onePhoto: 'Send one photo at a time.',
        fieldTooLong: 'One of the form fields is too long.',
        tooManyFields: 'The form has too many fields.',
      })[String(d.form)] ?? DEFAULT_MESSAGES.INVALID_OPTION,
    QUEUE_FULL: () => DEFAULT_MESSAGES.QUEUE_FULL,
    USER_BUSY: () => DEFAULT_MESSAGES.USER_BUSY,
    DEADLINE_TOO_SHORT: (c) =>
      c.platform === 'discord' ? "The line is too long to finish within Discord's 15 minutes. Try again in a few minutes." : 'The line is too long to finish in time. Try again in a few minutes.',
    TIMEOUT: (_c, d) => (d.stage === 'upload' ? 'The upload stopped arriving, so I stopped waiting for it. Please try again.' : DEFAULT_MESSAGES.TIMEOUT),
    CANCELLED: () => DEFAULT_MESSAGES.CANCELLED,
    MODEL_UNAVAILABLE: (c) => `That style is not available right now.${c.platform === 'telegram' ? ' Try another one in /settings.' : ''}`,
    SHUTTING_DOWN: () => DEFAULT_MESSAGES.SHUTTING_DOWN,
    UNAVAILABLE: () => DEFAULT_MESSAGES.UNAVAILABLE,
    INTERNAL: () => DEFAULT_MESSAGES.INTERNAL,
    DOWNLOAD_LIMIT: (_c, d) => `That file is larger than ${megabytes(d)} MB, the most a Telegram bot can download. Send it compressed (as a photo) or smaller.`,
    DOWNLOAD_FAILED: (c) => (c.platform === 'discord' ? 'I could not download that attachment. Upload it to Discord directly and try again.' : 'I could not download that file. Please send it again.'),
    DELIVERY_FAILED: () => FRONT_END_MESSAGES.DELIVERY_FAILED,
    NOT_ALLOWED: () => FRONT_END_MESSAGES.NOT_ALLOWED,
    NOT_AVAILABLE: () => FRONT_END_MESSAGES.NOT_AVAILABLE,
    DAILY_LIMIT: (_c, d) =>
      d.cost === undefined
        ? `You have used your ${String(d.limit)} photos for today. The count starts again in ${resetIn(d)} (midnight UTC).`
        : `That clip counts as ${Number(d.cost)} photos (its frames times their size), more than you have left of your ${String(d.limit)} for today. A shorter clip costs less; the count starts again in ${resetIn(d)} (midnight UTC).`,
    OWNERS_ONLY: () => FRONT_END_MESSAGES.OWNERS_ONLY,
    GROUP_BUSY: (c) => `This ${c.platform === 'discord' ? 'server' : 'group'} already has many photos in line. Try again in a minute.`,
  },
  invalidOption: (option, styles) => {
    if (option === 'strength') return `Strength must be a number from ${strength.min} to ${strength.max}, like 0.7.`;
    if (option === 'resolution') return `Resolution must be a whole number from ${resolution.min} to ${resolution.max}, like 1024.`;
    if (option === 'format') return `Format must be one of ${OUTPUT_FORMATS.join(', ')}.`;
    return `Style must be one of ${styles.join(', ')}.`;
  },
  unknownWord: (word) => `I do not understand "${word}". Try: /cartoon 0.8 1024, or strength=0.8 res=2048 format=webp.`,
  queued: (n) => `Queued: #${n} in line…`,
  inLine: (n) => `#${n} in line…`,
  processing: 'Cartoonising…',
  drawingFrame: (f, n) => `Cartoonising… frame ${f}/${n}`,
  batchItem: (i, n) => `${i}/${n} · `,
  batchSkipped: (skipped, max) => `I cartoonise at most ${max} photos of one album; ${skipped} more were left out.`,
  notSaved: 'Could not save that. Please try again.',
  batchPartial: (failed, total) => `${failed} of ${total} photos could not be cartoonised.`,
  timings: (queue, processing, total) => `⏱ queue ${queue} · processing ${processing} · total ${total}`,
  seconds: (s) => `${s.toFixed(1)} s`,
  help: (bot) =>
    [
      'Send me a photo and I send back a cartoon.',
      'Options go in the caption: /cartoon 0.8 1024, or strength=0.8 res=2048 style=toon format=webp.',
      `Strength ${strength.min}..${strength.max} (photo to full cartoon), resolution ${resolution.min}..${resolution.max} (long side), format ${OUTPUT_FORMATS.join(', ')}.`,
      `In groups: a photo with /cartoon in its caption, /cartoon as a reply to a photo, or @${bot} on a photo.`,
      "Send it as a file to get a lossless file back. /settings sets this chat's defaults (the style among them: /settings shows the looks on offer).",
      'While a photo waits, its Cancel button takes it back; /queue says where your photos are.',
    ].join('\n'),
  needPhoto: 'Send /cartoon with a photo, or as a reply to one.',
  settingsTitle: (s) => `Defaults for this chat: strength ${s.strength}, resolution ${s.resolution}, style ${s.style}, format ${s.format}.`,
  settingsLabels: { strength: 'Strength', resolution: 'Resolution', style: 'Style', format: 'Format' },
  saved: 'Saved',
  noFace: 'No face found: cartoonised the whole picture.',
  resized: "made smaller to fit Discord's upload limit",
  smallPhoto: (side) => `made at ${side} px: the photo is too small to enlarge further`,
  buttonsExpired: 'These buttons have expired. Run /cartoon again.',
  notYours: (id) => `Only <@${id}> can delete this.`,
  stronger: 'Stronger',
  softer: 'Softer',
  delete: 'Delete',
  studio: {
    title: 'ToonBot studio',
    tagline: 'Turn a photo into a cartoon. Your photo stays on this computer: it is never saved.',
    drop: 'Drop a photo here, paste one, or',
    pick: 'choose a file',
    style: 'Style',
    license: 'licence',
    strength: 'Strength',
    strengthHint: '0 = the photo, 1 = full cartoon',
    resolution: 'Resolution (long side)',
    format: 'Format',
    faces: 'Show the faces found',
    go: 'Cartoonise',
    inLine: '#{n} in line…',
    uploading: 'Uploading…',
    processing: 'Cartoonising…',
    drawingFrame: 'Cartoonising… frame {n}/{of}',
    before: 'Before',
    after: 'After',
    download: 'Download',
    queue: 'queue',
    processingTime: 'processing',
    total: 'total',
    recent: 'Recent results (kept in this browser only)',
    clearRecent: 'Clear',
    noFace: 'No face found: cartoonised the whole picture.',
    facesFound: 'faces found',
    offline: 'The studio is not answering. Is ToonBot still running?',
    needPhoto: 'Choose a photo first.',
    cancel: 'Cancel',
    cancelled: 'Cancelled.',
  },
  ops: {
    cancel: 'Cancel',
    cancelled: 'Cancelled.',
    cancelGone: 'That photo is already done.',
    notYourJob: 'Only the person who sent the photo can cancel it.',
    queue: (p) => (p.length === 0 ? 'You have no photos in line.' : `Your photos: ${p.map((n) => (n >= 1 ? `#${n} in line` : 'being cartoonised')).join(', ')}.`),
    changed: (list, subject, on) => `${subject} ${on ? (list === 'block' ? 'is blocked' : 'is on the allow list') : list === 'block' ? 'is unblocked' : 'is off the allow list'}.`,
    usage: "Reply to someone's message with /block, /unblock or /allow, or give an id: /block 12345 (a user) or /block -100123 (a group).",
    stats: (f) =>
      statsText(f, {
        since: 'Since start',
        today: 'Today (UTC)',
        done: 'done',
        failed: 'failed',
        refused: 'refused',
        processing: 'processing',
        total: 'total',
        line: 'Line now',
        longest: 'longest today',
        busiest: 'Busiest chats today',
        providers: 'Models on',
        uptime: 'up',
      }),
  },
};

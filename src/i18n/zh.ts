/** Simplified Chinese texts. */
import { OPTION_LIMITS, OUTPUT_FORMATS } from '../engine/index.ts';
import { megabytes, resetIn, statsText, type Catalog } from './catalog.ts';

const { strength, resolution } = OPTION_LIMITS;

export const zh: Catalog = {
  errors: {
    UNSUPPORTED_IMAGE: () => '这不是我能读取的图片。请发送照片（JPEG、PNG、WebP、GIF、TIFF、AVIF 或 HEIF）。',
    CORRUPT_IMAGE: () => '这张图片似乎已损坏或不完整，请重新发送。',
    IMAGE_TOO_LARGE: (c, d) =>
      d.maxSeconds !== undefined
        ? `这个视频长 ${Number(d.seconds)} 秒；我最多处理 ${Number(d.maxSeconds)} 秒的视频，请剪短后再发。`
        : d.maxBytes !== undefined
          ? `这个文件太大了（最多 ${megabytes(d)} MB），请换一张小一点的。`
          : `这张图片太大了（最多 ${c.maxMegapixels} 百万像素），请换一张小一点的。`,
    INVALID_OPTION: (_c, d) =>
      ({
        badField: '有一个表单字段的名字不被允许。',
        photoField: '请把照片放在名为 "photo" 的表单字段里。',
        onePhoto: '一次只能发送一张照片。',
        fieldTooLong: '有一个表单字段太长。',
        tooManyFields: '表单字段太多。',
      })[String(d.form)] ?? '有一个参数无效。',
    QUEUE_FULL: () => '现在太忙了，队列已满。请一分钟后再试。',
    USER_BUSY: () => '你已经有照片在排队了，请等它们完成后再发送。',
    DEADLINE_TOO_SHORT: (c) => (c.platform === 'discord' ? '队列太长，无法在 Discord 的 15 分钟内完成。请几分钟后再试。' : '队列太长，无法及时完成。请几分钟后再试。'),
    TIMEOUT: (_c, d) => (d.stage === 'upload' ? '上传中断了，我不再等待。请重试。' : '处理时间太长，已停止。请尝试更低的分辨率，或稍后再试。'),
    CANCELLED: () => '请求已取消。',
    MODEL_UNAVAILABLE: (c) => `这个风格暂时不可用${c.platform === 'telegram' ? '，请在 /settings 中换一个' : ''}。`,
    SHUTTING_DOWN: () => '我正在重启，请稍后再发送。',
    UNAVAILABLE: () => '我的照片队列暂时连不上。请稍后再发一次。',
    INTERNAL: () => '我这边出了点问题，请再试一次。',
    DOWNLOAD_LIMIT: (_c, d) => `这个文件超过 ${megabytes(d)} MB，Telegram 机器人无法下载。请以照片形式（压缩）发送，或发送更小的文件。`,
    DOWNLOAD_FAILED: (c) => (c.platform === 'discord' ? '无法下载这个附件。请直接上传到 Discord 后再试。' : '无法下载这个文件，请重新发送。'),
    DELIVERY_FAILED: () => '卡通图已经做好了，但发送失败。请试试更低的分辨率。',
    NOT_ALLOWED: () => '只有本群管理员可以修改这个设置。',
    NOT_AVAILABLE: () => '此机器人不向你提供服务。',
    DAILY_LIMIT: (_c, d) =>
      d.cost === undefined
        ? `你今天的 ${String(d.limit)} 张照片已用完，${resetIn(d, 'zh')}后（UTC 午夜）重新计数。`
        : `这段动图/视频按 ${Number(d.cost)} 张照片计（帧数乘以画面大小），超过了你今天 ${String(d.limit)} 张中剩下的额度。短一些的片段花费更少；${resetIn(d, 'zh')}后（UTC 午夜）重新计数。`,
    OWNERS_ONLY: () => '只有机器人的所有者可以这样做。',
    GROUP_BUSY: (c) => `这个${c.platform === 'discord' ? '服务器' : '群组'}已有很多照片在排队，请一分钟后再试。`,
  },
  invalidOption: (option, styles) => {
    if (option === 'strength') return `强度应为 ${strength.min} 到 ${strength.max} 之间的数字，例如 0.7。`;
    if (option === 'resolution') return `分辨率应为 ${resolution.min} 到 ${resolution.max} 之间的整数，例如 1024。`;
    if (option === 'format') return `格式应为 ${OUTPUT_FORMATS.join('、')} 之一。`;
    return `风格应为 ${styles.join('、')} 之一。`;
  },
  unknownWord: (word) => `我不明白“${word}”。试试：/cartoon 0.8 1024，或 strength=0.8 res=2048 format=webp。`,
  queued: (n) => `排队中：第 ${n} 位…`,
  inLine: (n) => `排队第 ${n} 位…`,
  processing: '正在卡通化…',
  drawingFrame: (f, n) => `正在卡通化… 第 ${f}/${n} 帧`,
  batchItem: (i, n) => `${i}/${n} · `,
  batchSkipped: (skipped, max) => `一个相册最多处理 ${max} 张照片；另外 ${skipped} 张未处理。`,
  notSaved: '保存失败，请再试一次。',
  batchPartial: (failed, total) => `${total} 张照片中有 ${failed} 张无法处理。`,
  timings: (queue, processing, total) => `⏱ 排队 ${queue} · 处理 ${processing} · 总计 ${total}`,
  seconds: (s) => `${s.toFixed(1)} 秒`,
  help: (bot) =>
    [
      '发给我一张照片，我会回复它的卡通版本。',
      '在说明文字里写参数：/cartoon 0.8 1024，或 strength=0.8 res=2048 style=toon format=webp。',
      `强度 ${strength.min}..${strength.max}（从照片到完全卡通），分辨率 ${resolution.min}..${resolution.max}（长边），格式 ${OUTPUT_FORMATS.join('、')}。`,
      `在群组中：带 /cartoon 说明的照片、回复照片的 /cartoon，或在照片上 @${bot}。`,
      '以文件形式发送可得到无损文件。/settings 设置本聊天的默认值（包括风格：/settings 会列出可选的风格）。',
      '照片排队时可以用它的"取消"按钮撤回；/queue 查看你的照片排在第几位。',
    ].join('\n'),
  needPhoto: '请随照片发送 /cartoon，或用它回复一张照片。',
  settingsTitle: (s) => `本聊天的默认值：强度 ${s.strength}，分辨率 ${s.resolution}，风格 ${s.style}，格式 ${s.format}。`,
  settingsLabels: { strength: '强度', resolution: '分辨率', style: '风格', format: '格式' },
  saved: '已保存',
  noFace: '没有找到人脸：已卡通化整张图片。',
  resized: '已缩小以符合 Discord 的上传限制',
  smallPhoto: (side) => `按 ${side} 像素生成：照片太小，无法放得更大`,
  buttonsExpired: '这些按钮已过期，请重新运行 /cartoon。',
  notYours: (id) => `只有 <@${id}> 可以删除。`,
  stronger: '更强',
  softer: '更弱',
  delete: '删除',
  studio: {
    title: 'ToonBot 工作室',
    tagline: '把照片变成卡通。你的照片只留在这台电脑上，不会被保存。',
    drop: '把照片拖到这里、粘贴，或',
    pick: '选择文件',
    style: '风格',
    license: '许可',
    strength: '强度',
    strengthHint: '0 = 原照片，1 = 完全卡通',
    resolution: '分辨率（长边）',
    format: '格式',
    faces: '显示找到的人脸',
    go: '卡通化',
    inLine: '排队第 {n} 位…',
    uploading: '正在上传…',
    processing: '正在卡通化…',
    drawingFrame: '正在卡通化… 第 {n}/{of} 帧',
    before: '之前',
    after: '之后',
    download: '下载',
    queue: '排队',
    processingTime: '处理',
    total: '总计',
    recent: '最近的结果（只保存在这个浏览器中）',
    clearRecent: '清除',
    noFace: '没有找到人脸：已卡通化整张图片。',
    facesFound: '张人脸',
    offline: '工作室没有响应。ToonBot 还在运行吗？',
    needPhoto: '请先选择一张照片。',
    cancel: '取消',
    cancelled: '已取消。',
  },
  ops: {
    cancel: '取消',
    cancelled: '已取消。',
    cancelGone: '这张照片已经处理完了。',
    notYourJob: '只有发送照片的人可以取消。',
    queue: (p) => (p.length === 0 ? '你没有排队中的照片。' : `你的照片：${p.map((n) => (n >= 1 ? `排第 ${n} 位` : '正在卡通化')).join('，')}。`),
    changed: (list, subject, on) => `${subject} ${on ? (list === 'block' ? '已被屏蔽' : '已加入允许名单') : list === 'block' ? '已解除屏蔽' : '已移出允许名单'}。`,
    usage: '回复某人的消息并发送 /block、/unblock 或 /allow，或者给出 ID：/block 12345（用户）或 /block -100123（群组）。',
    stats: (f) =>
      statsText(f, {
        since: '启动以来',
        today: '今天（UTC）',
        done: '完成',
        failed: '失败',
        refused: '拒绝',
        processing: '处理',
        total: '总计',
        line: '当前队列',
        longest: '今日最长',
        busiest: '今日最活跃的聊天',
        providers: '模型运行于',
        uptime: '已运行',
      }),
  },
};

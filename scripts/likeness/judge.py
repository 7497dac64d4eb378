#!/usr/bin/env python3
"""
An independent likeness judge: OpenCV's Haar cascades (Debian's python3-opencv and opencv-data),
a detector the engine never uses (it finds faces with BlazeFace). For each (photo, cartoon) pair
of the same size, it finds faces and eyes in the photo, then looks for them again in the cartoon
seen from arm's length (a 1.5 px Gaussian blur, scaled with the picture), and measures how flat the
cartoon's skin is inside each face box.

    /usr/bin/python3 scripts/likeness/judge.py [--cache DIR] photo1.png cartoon1.png [photo2 cartoon2 ...]

With --cache, what it finds in a photo (the same for every look drawn from it) is kept in DIR and
read back the next time the same photo is judged at the same size.

Prints one JSON document: per pair, the faces found in the photo, and for each whether the
cartoon keeps it, how many of its eyes the photo shows and the cartoon keeps, and the share of
the face box whose 3x3 colour range is under 8 levels.
"""
import hashlib
import json
import os
import sys

import cv2
import numpy as np

CASCADES = next(d for d in ('/usr/share/opencv4/haarcascades', '/usr/share/opencv/haarcascades', getattr(getattr(cv2, 'data', None), 'haarcascades', '')) if d and os.path.isdir(d))
FACE = cv2.CascadeClassifier(os.path.join(CASCADES, 'haarcascade_frontalface_default.xml'))
# A second face cascade: a face counts in the photo when both find it (one alone finds faces in
# badges and folds of cloth).
FACE2 = cv2.CascadeClassifier(os.path.join(CASCADES, 'haarcascade_frontalface_alt2.xml'))
EYE = cv2.CascadeClassifier(os.path.join(CASCADES, 'haarcascade_eye.xml'))
# Faces under this width (px) are left out: the eye cascade cannot see eyes on them in the photo either.
MIN_FACE = 40


def faces_in(grey, confirm=False):
    found = [tuple(int(v) for v in f) for f in FACE.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(MIN_FACE, MIN_FACE))]
    if not confirm:
        return found
    other = [tuple(int(v) for v in f) for f in FACE2.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3, minSize=(MIN_FACE, MIN_FACE))]
    return [f for f in found if any(iou(f, o) > 0.4 for o in other)]


def eyes_in(grey, box, local=False):
    x, y, w, h = box
    if local:
        # The contrast evened out over the face's neighbourhood (three face boxes square) instead
        # of the whole picture: the verdict on an eye then does not depend on how much grass, sky
        # or ink the rest of the picture holds. `grey` is not equalised here.
        H, W = grey.shape[:2]
        x0, y0, x1, y1 = max(0, x - w), max(0, y - h), min(W, x + 2 * w), min(H, y + 2 * h)
        around = cv2.equalizeHist(np.ascontiguousarray(grey[y0:y1, x0:x1]))
        top = around[y - y0:y - y0 + int(h * 0.62), x - x0:x - x0 + w]
    else:
        # Eyes sit in the upper part of the face box.
        top = grey[y:y + int(h * 0.62), x:x + w]
    size = max(8, w // 9)
    found = EYE.detectMultiScale(top, scaleFactor=1.05, minNeighbors=4, minSize=(size, size), maxSize=(w // 2, w // 2))
    return [(int(ex + x), int(ey + y), int(ew), int(eh)) for ex, ey, ew, eh in found]


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter)


def near(eye, others):
    cx, cy = eye[0] + eye[2] / 2, eye[1] + eye[3] / 2
    return any(abs(cx - (o[0] + o[2] / 2)) < eye[2] * 0.6 and abs(cy - (o[1] + o[3] / 2)) < eye[3] * 0.6 for o in others)


def flat_share(image, box):
    x, y, w, h = box
    # The inner face (skin): the middle of the box, away from hair and background.
    roi = image[y + h // 6:y + h - h // 8, x + w // 6:x + w - w // 6].astype(np.int16)
    hi = roi.copy()
    lo = roi.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = np.roll(np.roll(roi, dy, axis=0), dx, axis=1)
            hi = np.maximum(hi, shifted)
            lo = np.minimum(lo, shifted)
    span = (hi - lo).max(axis=2)[1:-1, 1:-1]
    return float((span < 8).mean()) if span.size else 0.0


def photo_side(photo, size, cache):
    """What the judge finds in the photo at the cartoon's size: the same for every look, so it is
    kept in `cache` (a folder, or None) by the photo's bytes and the size."""
    key = None
    if cache:
        key = os.path.join(cache, '%s-%dx%d.json' % (hashlib.sha256(photo.tobytes()).hexdigest()[:32], size[0], size[1]))
        if os.path.exists(key):
            with open(key) as f:
                return json.load(f)
    if photo.shape[:2] != (size[1], size[0]):
        shrink = size[0] < photo.shape[1]
        photo = cv2.resize(photo, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    raw = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    grey = cv2.equalizeHist(raw)
    faces = []
    for box in faces_in(grey, confirm=True):
        faces.append({
            'box': box,
            'eyes': eyes_in(grey, box)[:2],
            'local': eyes_in(raw, box, local=True)[:2],
            'photoFlat': round(flat_share(photo, box), 3),
        })
    if key:
        with open(key + '.part', 'w') as f:
            json.dump(faces, f)
        os.replace(key + '.part', key)
    return faces


def judge(photo_path, cartoon_path, cache=None):
    photo = cv2.imread(photo_path, cv2.IMREAD_COLOR)
    cartoon = cv2.imread(cartoon_path, cv2.IMREAD_COLOR)
    if photo is None or cartoon is None:
        raise SystemExit(f'cannot read {photo_path if photo is None else cartoon_path}')
    long_side = max(cartoon.shape[:2])
    sigma = 1.5 * long_side / 1024
    seen = cv2.GaussianBlur(cartoon, (0, 0), sigma) if sigma > 0.3 else cartoon
    craw = cv2.cvtColor(seen, cv2.COLOR_BGR2GRAY)
    cgrey = cv2.equalizeHist(craw)
    cartoon_faces = faces_in(cgrey)
    out = []
    for face in photo_side(photo, (cartoon.shape[1], cartoon.shape[0]), cache):
        box = tuple(face['box'])
        eyes = [tuple(e) for e in face['eyes']]
        local = [tuple(e) for e in face['local']]
        match = max(cartoon_faces, key=lambda c: iou(box, c), default=None)
        kept = match is not None and iou(box, match) > 0.3
        ceyes = eyes_in(cgrey, box)
        clocal = eyes_in(craw, box, local=True)
        out.append({
            'box': list(box),
            'kept': bool(kept),
            'eyes': len(eyes),
            'eyesKept': sum(1 for e in eyes if near(e, ceyes)),
            'eyesLocal': len(local),
            'eyesKeptLocal': sum(1 for e in local if near(e, clocal)),
            'flat': round(flat_share(cartoon, box), 3),
            'photoFlat': face['photoFlat'],
        })
    return {'photo': photo_path, 'cartoon': cartoon_path, 'faces': out}


def main(argv):
    cache = None
    if argv[:1] == ['--cache']:
        cache, argv = argv[1], argv[2:]
        os.makedirs(cache, exist_ok=True)
    if len(argv) % 2:
        raise SystemExit('usage: judge.py [--cache DIR] photo cartoon [photo cartoon ...]')
    print(json.dumps([judge(argv[i], argv[i + 1], cache) for i in range(0, len(argv), 2)]))


if __name__ == '__main__':
    main(sys.argv[1:])

"""Employee photos: validate an upload with Pillow and re-encode it, so only its pixels are ever stored.

Decoding is bounded in work, not only in bytes: no more scans than an encoder writes, no more pixels than
MAX_SIDE allows, JPEGs decoded at the reduced size the site keeps, and one photo at a time per process (the
next waits BUSY_SECONDS at most, then is asked to retry), so that uploads cannot keep a worker's threads
from serving pages.
"""

import io
import os
import threading

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4000
# libjpeg writes 10 scans for a progressive JPEG; each more is another pass over the whole image.
MAX_JPEG_SCANS = 25
JPEG_SCAN = b"\xff\xda"  # the start-of-scan marker, which JPEG's byte stuffing keeps out of the data
BUSY_SECONDS = 2
UNREADABLE = (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError)
DETAIL_SIDE = 480
THUMBNAIL_SIDE = 96


def open_photo(upload):
    """The upload as a Pillow image, checked but not decoded yet, or a ValidationError saying what is wrong
    with it."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB. Upload a smaller file."), code="too_large")
    try:
        upload.seek(0)
        image = Image.open(upload)
        if image.format not in ACCEPTED_FORMATS:
            raise ValidationError(_("Upload a JPEG, PNG or WebP image."), code="format")
        # Checked before decoding, so a small file that unpacks to a huge image is never decoded.
        if max(image.size) > MAX_SIDE:
            raise ValidationError(
                _("The photo is larger than 4,000 pixels on a side. Upload a smaller image."),
                code="too_many_pixels",
            )
        if image.format == "JPEG":
            upload.seek(0)
            if upload.read().count(JPEG_SCAN) > MAX_JPEG_SCANS:
                message = _("This JPEG is encoded in too many passes. Save it again and upload it.")
                raise ValidationError(message, code="scans")
            image.draft("RGB", (DETAIL_SIDE, DETAIL_SIDE))  # decoded at a half, quarter or eighth of its size
    except UNREADABLE as error:
        raise ValidationError(_("This file is not a readable image."), code="invalid") from error
    return image


# Decoding and scaling a photo takes a core: one at a time per process, and a thread waits at most
# BUSY_SECONDS for its turn.
WORKING = threading.BoundedSemaphore(1)


def encoded(image, side, *, crop):
    """``image`` turned upright and scaled to ``side`` pixels, as a WebP file without any metadata."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if crop:
        image = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
    else:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # A fresh image from its pixels: no EXIF, ICC profile, comment or other chunk of the upload is written.
    Image.frombytes(image.mode, image.size, image.tobytes()).save(buffer, "WEBP", quality=85, method=4)
    return ContentFile(buffer.getvalue(), name="photo.webp")


def photo_and_thumbnail(upload):
    image = open_photo(upload)
    if not WORKING.acquire(timeout=BUSY_SECONDS):
        raise ValidationError(_("Too many photos are being uploaded. Try again in a minute."), code="busy")
    try:
        image.load()
        return encoded(image, DETAIL_SIDE, crop=False), encoded(image, THUMBNAIL_SIDE, crop=True)
    except UNREADABLE as error:
        raise ValidationError(_("This file is not a readable image."), code="invalid") from error
    finally:
        WORKING.release()


def removable(photo):
    """Whether the stored ``photo``'s files can be deleted now. On a local disk that is whether their folder
    may be written (not on a read-only mount); a bucket says so only when asked, and is trusted."""
    try:
        folder = os.path.dirname(photo.path)
    except NotImplementedError:
        return True
    return os.access(folder, os.W_OK)

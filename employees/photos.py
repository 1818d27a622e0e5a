"""Employee photos: validate an upload with Pillow and re-encode it, so only its pixels are ever stored."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4000
DETAIL_SIDE = 480
THUMBNAIL_SIDE = 96


def open_photo(upload):
    """The upload as a decoded Pillow image, or a ValidationError saying what is wrong with it."""
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
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(_("This file is not a readable image."), code="invalid") from error
    return image


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
    """The detail-size photo and the square thumbnail made from an uploaded image."""
    image = open_photo(upload)
    return encoded(image, DETAIL_SIDE, crop=False), encoded(image, THUMBNAIL_SIDE, crop=True)

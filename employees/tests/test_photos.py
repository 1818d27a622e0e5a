import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from employees import photos
from employees.photos import MAX_BYTES, open_photo, photo_and_thumbnail

from .factories import image_bytes, photo_upload


def image_bytes_rgba():
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def decoded(content_file):
    return Image.open(io.BytesIO(content_file.read()))


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_accepted_formats_become_a_detail_photo_and_a_square_thumbnail(image_format, name):
    photo, thumbnail = photo_and_thumbnail(photo_upload(image_format, (1200, 800), name=name))
    photo, thumbnail = decoded(photo), decoded(thumbnail)
    assert (photo.format, photo.size) == ("WEBP", (480, 320))
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (96, 96))


def test_small_photos_are_not_enlarged():
    photo, _ = photo_and_thumbnail(photo_upload("PNG", (200, 100), name="a.png"))
    assert decoded(photo).size == (200, 100)


def test_exif_is_stripped_after_turning_the_photo_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display.
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {2: (48.0, 51.0, 30.0)}  # GPS latitude
    upload = photo_upload("JPEG", (600, 300), exif=exif.tobytes())
    assert Image.open(io.BytesIO(upload.read())).getexif()[0x0112] == 6

    photo, thumbnail = photo_and_thumbnail(upload)
    photo_bytes = photo.read()
    image = Image.open(io.BytesIO(photo_bytes))
    assert image.size == (240, 480)
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"Camera maker" not in photo_bytes
    assert not decoded(thumbnail).getexif()


def test_transparency_is_kept():
    upload = SimpleUploadedFile("a.png", image_bytes_rgba())
    photo, _ = photo_and_thumbnail(upload)
    assert decoded(photo).mode == "RGBA"


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (photo_upload("GIF", (10, 10), name="a.gif"), "format"),
        (photo_upload("BMP", (10, 10), name="a.jpg"), "format"),
        (photo_upload("PNG", (4001, 10), name="a.png"), "too_many_pixels"),
        (photo_upload("PNG", (10, 4001), name="a.png"), "too_many_pixels"),
        (SimpleUploadedFile("a.jpg", b"not an image at all"), "invalid"),
        (SimpleUploadedFile("a.jpg", image_bytes("JPEG")[:200]), "invalid"),
        (
            SimpleUploadedFile(
                "a.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
            ),
            "invalid",
        ),
        (SimpleUploadedFile("a.jpg", b"\xff\xd8" + b"x" * MAX_BYTES), "too_large"),
    ],
    ids=["gif", "bmp-named-jpg", "too-wide", "too-tall", "text", "truncated", "svg", "over-5-mb"],
)
def test_rejected_uploads_say_why(upload, code):
    with pytest.raises(ValidationError) as error:
        photo_and_thumbnail(upload)
    assert error.value.code == code


def test_the_largest_accepted_image_is_4000_pixels_on_a_side():
    photo, _ = photo_and_thumbnail(photo_upload("PNG", (4000, 10), name="a.png"))
    assert decoded(photo).size == (480, 1)


def progressive_jpeg(scans):
    """A progressive JPEG whose last scan is repeated until it has ``scans`` scans, as in an attack that
    makes a 100 KB file take minutes to decode."""
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((400, 400)).convert("RGB").save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    head, last_scan = data[: data.rindex(b"\xff\xda")], data[data.rindex(b"\xff\xda") : -2]
    written = data.count(b"\xff\xda")
    return SimpleUploadedFile("a.jpg", head + last_scan * (scans - written + 1) + b"\xff\xd9")


def test_a_progressive_jpeg_as_an_encoder_writes_it_is_accepted():
    photo, _ = photo_and_thumbnail(progressive_jpeg(10))
    assert decoded(photo).size == (400, 400)


def test_a_jpeg_of_more_scans_than_an_encoder_writes_is_refused_before_decoding(monkeypatch):
    upload, decoded_images = progressive_jpeg(1000), []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded_images.append(image))
    with pytest.raises(ValidationError) as error:
        photo_and_thumbnail(upload)
    assert error.value.code == "scans"
    assert decoded_images == []


def test_a_large_jpeg_is_decoded_at_the_size_the_site_keeps():
    upload = photo_upload("JPEG", (4000, 3000), name="a.jpg")
    image = open_photo(upload)
    assert image.size == (1000, 750)  # a quarter of each side: the smallest scale at least 480 pixels
    photo, _ = photo_and_thumbnail(upload)
    assert decoded(photo).size == (480, 360)


def test_an_upload_waits_for_the_photo_being_made_and_gives_up_after_a_while(monkeypatch):
    monkeypatch.setattr(photos, "BUSY_SECONDS", 0.01)
    with photos.WORKING, pytest.raises(ValidationError) as error:
        photo_and_thumbnail(photo_upload("PNG", (10, 10), name="a.png"))
    assert error.value.code == "busy"
    assert photo_and_thumbnail(photo_upload("PNG", (10, 10), name="a.png"))


def test_an_upload_refused_on_its_face_does_not_wait_for_its_turn(monkeypatch):
    upload = progressive_jpeg(1000)
    with photos.WORKING, pytest.raises(ValidationError) as error:
        photo_and_thumbnail(upload)
    assert error.value.code == "scans"

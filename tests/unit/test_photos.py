"""Photo intake (SAFETY.md I3): nothing but pixels survives, hostile files fail cleanly, storage is
encrypted and private."""

from __future__ import annotations

import io
import os
import stat
import warnings

import pytest
from cryptography.fernet import Fernet, MultiFernet
from PIL import Image

from stories.photos import (
    MAX_SIDE,
    MSG_DAMAGED,
    MSG_NOT_AN_IMAGE,
    MSG_TOO_LARGE,
    MSG_TOO_MANY_PIXELS,
    CleanPhoto,
    PhotoError,
    clean_photo,
    delete_photo,
    load_photo,
    store_photo,
)
from tests.unit import photo_fixtures as fx


def reopen(photo: CleanPhoto) -> Image.Image:
    img = Image.open(io.BytesIO(photo.data), formats=[photo.format])
    img.load()
    return img


def assert_no_metadata(photo: CleanPhoto) -> None:
    for sentinel in fx.SENTINELS:
        assert sentinel not in photo.data
    assert b"Exif\x00\x00" not in photo.data
    assert b"http://ns.adobe.com/xap/1.0/" not in photo.data
    assert b"ICC_PROFILE" not in photo.data and b"iCCP" not in photo.data
    img = reopen(photo)
    assert len(img.getexif()) == 0
    assert not img.getexif().get_ifd(fx.GPS_IFD)
    for key in ("exif", "comment", "xmp", "icc_profile", "XML:com.adobe.xmp"):
        assert key not in img.info
    if photo.format == "PNG":
        assert img.text == {}
        assert not {b"tEXt", b"iTXt", b"zTXt", b"eXIf"} & set(chunk_types(photo.data))


def chunk_types(png: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos + 8 <= len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kinds.append(png[pos + 4:pos + 8])
        pos += 12 + length
    return kinds


# --- Metadata -------------------------------------------------------------------------------------

def test_jpeg_fixture_really_carries_gps_orientation_comment_and_xmp():
    data = fx.jpeg_with_everything()
    img = Image.open(io.BytesIO(data))
    exif = img.getexif()
    assert exif[fx.ORIENTATION] == 6
    assert exif.get_ifd(fx.GPS_IFD)[2] == (40.0, 26.0, 46.0)
    assert img.info["comment"] == fx.COMMENT_SENTINEL
    assert fx.XMP_SENTINEL in img.info["xmp"]
    assert img.info["icc_profile"] == fx.ICC_SENTINEL
    for sentinel in (fx.EXIF_SENTINEL.encode(), fx.GPS_SENTINEL.encode(), fx.COMMENT_SENTINEL,
                     fx.XMP_SENTINEL, fx.ICC_SENTINEL):
        assert sentinel in data


def test_jpeg_loses_gps_exif_comment_xmp_and_icc():
    photo = clean_photo(fx.jpeg_with_everything())
    assert photo.format == "JPEG" and photo.media_type == "image/jpeg"
    assert_no_metadata(photo)


def test_jpeg_orientation_is_applied_before_exif_is_dropped():
    photo = clean_photo(fx.jpeg_with_everything())
    img = reopen(photo).convert("RGB")
    assert (photo.width, photo.height) == img.size == (200, 300)
    # Orientation 6 means "turn 90 degrees clockwise": the red left half ends up on top.
    r, g, b = img.getpixel((100, 40))
    assert r > 200 and b < 60
    r, g, b = img.getpixel((100, 260))
    assert b > 200 and r < 60


def test_png_fixture_really_carries_text_chunks_and_exif():
    img = Image.open(io.BytesIO(fx.png_with_text(alpha=True)))
    assert img.text["Comment"] == fx.PNG_SENTINEL
    assert img.getexif().get_ifd(fx.GPS_IFD)
    assert {b"tEXt", b"iTXt", b"zTXt", b"eXIf"} <= set(chunk_types(fx.png_with_text(alpha=True)))


def test_png_with_transparency_stays_png_without_text_chunks():
    photo = clean_photo(fx.png_with_text(alpha=True))
    assert photo.format == "PNG" and photo.media_type == "image/png"
    assert_no_metadata(photo)
    img = reopen(photo)
    assert img.mode == "RGBA"
    assert img.getpixel((10, 10))[3] == 0 and img.getpixel((200, 150))[3] == 255


def test_opaque_png_becomes_jpeg_without_text_chunks():
    photo = clean_photo(fx.png_with_text(alpha=False))
    assert photo.format == "JPEG"
    assert_no_metadata(photo)


@pytest.mark.parametrize("alpha, expected", [(False, "JPEG"), (True, "PNG")])
def test_webp_is_accepted_and_loses_its_metadata(alpha, expected):
    data = fx.webp_with_metadata(alpha)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(fx.GPS_IFD)
    assert fx.XMP_SENTINEL in data
    photo = clean_photo(data)
    assert photo.format == expected
    assert (photo.width, photo.height) == (300, 200)
    assert_no_metadata(photo)


def palette_with_transparency() -> bytes:
    img = fx.two_tone().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return fx.encoded(img, "PNG", transparency=img.getpixel((0, 0)))


@pytest.mark.parametrize("data, mode", [
    pytest.param(fx.encoded(fx.two_tone().convert("L"), "JPEG"), "RGB", id="grey-jpeg"),
    pytest.param(fx.encoded(fx.two_tone().convert("CMYK"), "JPEG"), "RGB", id="cmyk-jpeg"),
    pytest.param(fx.encoded(fx.two_tone().convert("P"), "PNG"), "RGB", id="palette-png"),
    pytest.param(palette_with_transparency(), "RGBA", id="palette-png-transparent"),
    pytest.param(fx.encoded(fx.two_tone().convert("1"), "PNG"), "RGB", id="bilevel-png"),
    pytest.param(fx.encoded(Image.new("LA", (40, 30), (9, 0)), "PNG"), "RGBA", id="grey-alpha"),
    pytest.param(fx.encoded(Image.new("I;16", (40, 30), 300), "PNG"), "RGB", id="16-bit-png"),
    pytest.param(fx.encoded(Image.new("RGBA", (40, 30), (1, 2, 3, 255)), "PNG"), "RGB",
                 id="opaque-alpha"),
])
def test_other_pixel_modes_are_accepted(data, mode):
    assert reopen(clean_photo(data)).mode == mode


def test_a_large_photo_is_scaled_down_to_the_longest_side():
    big = Image.linear_gradient("L").resize((3600, 1800)).convert("RGB")
    photo = clean_photo(fx.encoded(big, "JPEG", quality=70))
    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE // 2)
    assert reopen(photo).size == (MAX_SIDE, MAX_SIDE // 2)


# --- Rejections -----------------------------------------------------------------------------------

def rejected(data: bytes) -> PhotoError:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(PhotoError) as info:
            clean_photo(data)
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    return info.value


@pytest.mark.parametrize("data", [
    pytest.param(fx.gif_bytes(), id="gif-named-jpg"),
    pytest.param(b"this is a text file pretending to be photo.jpg\n", id="text"),
    pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
    pytest.param(fx.encoded(fx.two_tone(), "BMP"), id="bmp"),
    pytest.param(fx.encoded(fx.two_tone(), "TIFF"), id="tiff"),
    pytest.param(b"", id="empty"),
])
def test_files_that_are_not_jpeg_png_or_webp_are_refused_whatever_their_name(data):
    error = rejected(data)
    assert error.kind == "not_an_image"
    assert error.message.key == MSG_NOT_AN_IMAGE


@pytest.mark.parametrize("data", [
    pytest.param(fx.jpeg_with_everything()[:1200], id="truncated-jpeg"),
    pytest.param(fx.png_with_text(alpha=False)[:400], id="truncated-png"),
    pytest.param(fx.jpeg_with_everything()[:20], id="jpeg-header-only"),
    pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 garbage", id="broken-webp"),
])
def test_damaged_photos_are_refused_cleanly(data):
    error = rejected(data)
    assert error.kind == "damaged"
    assert error.message.key == MSG_DAMAGED


def test_a_file_over_10_mb_is_refused_before_it_is_opened():
    error = rejected(b"\xff\xd8\xff" + bytes(11 * 1024 * 1024))
    assert error.kind == "too_large"
    assert error.message.key == MSG_TOO_LARGE
    assert error.message.params == {"size_mb": 11.0, "limit_mb": 10}


def test_a_real_48_megapixel_png_is_refused_by_its_header():
    data = fx.real_png_bomb()
    assert len(data) < 100_000
    error = rejected(data)
    assert error.kind == "too_many_pixels"
    assert error.message.key == MSG_TOO_MANY_PIXELS
    assert error.message.params["width"] == 8000 and error.message.params["height"] == 6000


@pytest.mark.parametrize("size", [(20000, 20000), (100_000, 1000), (7000, 6000)],
                         ids=["over-pillow-error-limit", "in-pillow-warning-band", "just-over-ours"])
def test_decompression_bombs_are_a_clean_error_not_a_warning_or_crash(size):
    error = rejected(fx.png_declaring(*size))
    assert error.kind == "too_many_pixels"


# --- Storage --------------------------------------------------------------------------------------

@pytest.fixture
def fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


def test_store_and_load_round_trip_encrypted_and_private(tmp_path, fernet):
    folder = tmp_path / "photos"
    photo = clean_photo(fx.jpeg_with_everything())
    name = store_photo(photo, folder, fernet)
    assert len(name) == 36 and name.endswith(".bin")
    path = folder / name
    stored = path.read_bytes()
    assert b"\xff\xd8\xff" not in stored and b"JFIF" not in stored
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert load_photo(name, folder, fernet) == photo.data


def test_each_photo_gets_a_new_random_name(tmp_path, fernet):
    photo = clean_photo(fx.png_with_text(alpha=True))
    names = {store_photo(photo, tmp_path, fernet) for _ in range(5)}
    assert len(names) == 5


def test_a_photo_cannot_be_read_with_another_key(tmp_path, fernet):
    name = store_photo(clean_photo(fx.webp_with_metadata()), tmp_path, fernet)
    with pytest.raises(ValueError):
        load_photo(name, tmp_path, Fernet(Fernet.generate_key()))


def test_delete_removes_the_file_and_is_idempotent(tmp_path, fernet):
    name = store_photo(clean_photo(fx.jpeg_with_everything()), tmp_path, fernet)
    delete_photo(name, tmp_path)
    assert not (tmp_path / name).exists()
    assert os.listdir(tmp_path) == []
    delete_photo(name, tmp_path)
    with pytest.raises(FileNotFoundError):
        load_photo(name, tmp_path, fernet)


@pytest.mark.parametrize("name", [
    "../x", "../" + "a" * 32 + ".bin", "/etc/passwd", "a" * 32 + ".bin\n", "A" * 32 + ".bin",
    "a" * 31 + ".bin", "a" * 32 + ".png", "a" * 32, "", ".bin", "a" * 16 + "/" + "a" * 15 + ".bin",
    "a" * 32 + ".bin/..",
])
def test_crafted_names_are_refused_everywhere(tmp_path, fernet, name):
    victim = tmp_path / "x"
    victim.write_bytes(b"keep me")
    folder = tmp_path / "photos"
    folder.mkdir()
    with pytest.raises(ValueError):
        load_photo(name, folder, fernet)
    with pytest.raises(ValueError):
        delete_photo(name, folder)
    assert victim.read_bytes() == b"keep me"

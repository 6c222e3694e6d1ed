"""Photo intake (SAFETY.md I3): check, strip every trace of metadata, and store encrypted.

A photo can give away where a family lives: GPS coordinates in EXIF, a camera serial number, an
XMP packet from an editing app, a JPEG comment, a PNG text chunk. Re-saving with Pillow is not
enough (it keeps the JPEG comment, and `exif_transpose` keeps the GPS block), so after checking the
file we copy only its pixels into a brand-new image and encode that.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.fernet import InvalidToken
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.i18n import N_, Msg

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2400
JPEG_QUALITY = 88
FORMATS = ("JPEG", "PNG", "WEBP")

MSG_TOO_LARGE = N_("The photo is larger than 10 MB. Please choose a smaller one.")
MSG_NOT_AN_IMAGE = N_("This file is not a photo we can use. Please choose a JPEG, PNG or WebP image.")
MSG_TOO_MANY_PIXELS = N_("The photo has too many pixels (more than 40 megapixels). Please choose a "
                         "smaller one, or make it smaller first.")
MSG_DAMAGED = N_("We could not read this photo: the file may be damaged or incomplete. Please try "
                 "another one.")

# The first bytes of the formats we accept, to tell "not a photo" from "a damaged photo".
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_NAME = re.compile(r"[0-9a-f]{32}\.bin")
# warnings.catch_warnings changes process-wide state; one photo at a time may open its header.
_OPEN_LOCK = threading.Lock()


class PhotoError(Exception):
    """A photo we will not take, with the reason for the page to show."""

    def __init__(self, kind: str, message: Msg):
        super().__init__(kind)
        self.kind = kind  # "too_large", "not_an_image", "too_many_pixels" or "damaged"
        self.message = message


class BytesCipher(Protocol):
    """What `store_photo` needs from a key: `cryptography.fernet.Fernet` or `MultiFernet`."""

    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes) -> bytes: ...


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo holding nothing but pixels."""

    data: bytes
    width: int
    height: int
    format: str  # "JPEG" or "PNG"

    @property
    def media_type(self) -> str:
        return "image/jpeg" if self.format == "JPEG" else "image/png"


def _too_many_pixels(size: tuple[int, int] | None = None) -> PhotoError:
    params: dict[str, int] = {"limit_mp": MAX_PIXELS // 1_000_000}
    if size is not None:
        params.update(width=size[0], height=size[1])
    return PhotoError("too_many_pixels", Msg(MSG_TOO_MANY_PIXELS, params))


def _looks_supported(data: bytes) -> bool:
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _open(data: bytes) -> Image.Image:
    """Open `data` as JPEG, PNG or WebP, reading only the header, and check its pixel count."""
    try:
        with _OPEN_LOCK, warnings.catch_warnings():
            # Pillow warns (rather than fails) between its own limit and twice that: make it fail.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        if _looks_supported(data):
            raise PhotoError("damaged", Msg(MSG_DAMAGED)) from exc
        raise PhotoError("not_an_image", Msg(MSG_NOT_AN_IMAGE)) from exc
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(img.size)
    if width < 1 or height < 1:
        raise PhotoError("damaged", Msg(MSG_DAMAGED))
    return img


def _decode(data: bytes) -> Image.Image:
    """The photo's pixels, fully decoded, after checking the whole file."""
    try:
        _open(data).verify()
    except PhotoError:
        raise
    except Exception as exc:  # any failure in an untrusted file is "damaged", never a crash
        raise PhotoError("damaged", Msg(MSG_DAMAGED)) from exc
    img = _open(data)  # verify() leaves the image unusable: Pillow asks for a fresh open
    try:
        if img.format == "JPEG":
            # Decode a large JPEG at a reduced scale (never below MAX_SIDE) to spare memory.
            img.draft(img.mode, (MAX_SIDE, MAX_SIDE))
        img.load()
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(img.size) from exc
    except Exception as exc:
        raise PhotoError("damaged", Msg(MSG_DAMAGED)) from exc
    return img


def _upright(img: Image.Image) -> Image.Image:
    """The image turned the way the camera meant (EXIF Orientation)."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:
        # Unreadable EXIF: the photo is still usable, just not turned; its EXIF is dropped anyway.
        return img


def _pixels(img: Image.Image) -> Image.Image:
    """RGBA if some pixel is see-through, RGB otherwise (an opaque alpha channel is dropped)."""
    if img.has_transparency_data:
        img = img.convert("RGBA")
        low, _ = img.getchannel("A").getextrema()
        if low < 255:
            return img
    return img.convert("RGB")


def clean_photo(data: bytes) -> CleanPhoto:
    """Check an uploaded photo and re-encode its pixels only: JPEG, or PNG if it has transparency.

    Raises PhotoError for a file over 10 MB or 40 megapixels, one that is not JPEG, PNG or WebP
    (whatever its name says), or one that cannot be decoded.
    """
    if len(data) > MAX_BYTES:
        raise PhotoError("too_large", Msg(MSG_TOO_LARGE, {
            "size_mb": round(len(data) / (1024 * 1024), 1), "limit_mb": MAX_BYTES // (1024 * 1024)}))
    if not data:
        raise PhotoError("not_an_image", Msg(MSG_NOT_AN_IMAGE))
    try:
        img = _pixels(_upright(_decode(data)))
        mode = img.mode
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        # The heart of I3: a new image made from raw pixels carries no info, EXIF, ICC or text.
        fresh = Image.frombytes(mode, img.size, img.tobytes())
        out = io.BytesIO()
        if mode == "RGBA":
            fresh.save(out, format="PNG")
        else:
            fresh.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except PhotoError:
        raise
    except Exception as exc:  # a mode Pillow cannot convert, a decoder error found late
        raise PhotoError("damaged", Msg(MSG_DAMAGED)) from exc
    return CleanPhoto(out.getvalue(), fresh.width, fresh.height, "PNG" if mode == "RGBA" else "JPEG")


def _path(name: str, folder: Path) -> Path:
    # fullmatch, not match with "$": "$" would also accept a trailing newline.
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError("not a stored photo name")
    return Path(folder) / name


def store_photo(photo: CleanPhoto, folder: Path, fernet: BytesCipher) -> str:
    """Encrypt and write a clean photo under a new random name in `folder`; return the name."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask, and the folder may predate us
    token = fernet.encrypt(photo.data)
    name = secrets.token_hex(16) + ".bin"
    path = _path(name, folder)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(token)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return name


def load_photo(name: str, folder: Path, fernet: BytesCipher) -> bytes:
    """The decrypted bytes of a stored photo (FileNotFoundError if it was deleted)."""
    path = _path(name, folder)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        token = fh.read()
    try:
        return fernet.decrypt(token)
    except InvalidToken as exc:
        raise ValueError("a stored photo could not be decrypted with the configured keys") from exc


def delete_photo(name: str, folder: Path) -> None:
    """Overwrite a stored photo with zeros, then remove it; nothing happens if it is already gone.

    Overwriting is best effort (journaling and SSD wear levelling may keep old blocks); the file
    was encrypted, so what might remain is ciphertext.
    """
    path = _path(name, folder)
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return
    except OSError:
        fd = None
    if fd is not None:
        try:
            remaining = os.fstat(fd).st_size
            zeros = bytes(64 * 1024)
            while remaining > 0:
                remaining -= os.write(fd, zeros[:min(remaining, len(zeros))])
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
    path.unlink(missing_ok=True)

"""Photos built in code for tests/unit/test_photos.py: metadata-laden, hostile and broken files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from PIL.PngImagePlugin import PngInfo

EXIF_SENTINEL = "secret-exif-sentinel"
GPS_SENTINEL = "secret-gps-sentinel"
COMMENT_SENTINEL = b"secret-comment-sentinel"
XMP_SENTINEL = b"secret-xmp-sentinel"
ICC_SENTINEL = b"secret-icc-sentinel"
PNG_SENTINEL = "secret-png-sentinel"
SENTINELS = (EXIF_SENTINEL.encode(), GPS_SENTINEL.encode(), COMMENT_SENTINEL, XMP_SENTINEL,
             ICC_SENTINEL, PNG_SENTINEL.encode())

XMP_PACKET = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
              b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>'
              + XMP_SENTINEL + b"</rdf:Description></rdf:RDF></x:xmpmeta>")
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def exif_with_gps(orientation: int = 6) -> Image.Exif:
    """EXIF with a GPS block (a real-looking position), a description and an orientation."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010E] = EXIF_SENTINEL  # ImageDescription
    exif[0x010F] = "SentinelCam"  # Make
    exif[GPS_IFD] = {
        1: "N", 2: (40.0, 26.0, 46.0),   # latitude
        3: "W", 4: (79.0, 58.0, 56.0),   # longitude
        27: b"ASCII\x00\x00\x00" + GPS_SENTINEL.encode(),  # GPSProcessingMethod
    }
    return exif


def two_tone(size: tuple[int, int] = (300, 200), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    img = Image.new(mode, size, "red")
    img.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    return img


def jpeg_with_everything() -> bytes:
    """A 300x200 JPEG with EXIF (GPS, Orientation=6), XMP, a COM comment and an ICC profile."""
    out = io.BytesIO()
    two_tone().save(out, "JPEG", quality=95, exif=exif_with_gps(6), comment=COMMENT_SENTINEL,
                    xmp=XMP_PACKET, icc_profile=ICC_SENTINEL)
    return out.getvalue()


def png_with_text(alpha: bool) -> bytes:
    """A PNG with tEXt, iTXt and zTXt chunks and an eXIf chunk; half transparent if `alpha`."""
    img = two_tone(mode="RGBA")
    if alpha:
        img.putalpha(Image.new("L", img.size, 255))
        img.paste((0, 0, 0, 0), (0, 0, 50, 50))
    else:
        img = img.convert("RGB")
    info = PngInfo()
    info.add_text("Comment", PNG_SENTINEL)
    info.add_itxt("Description", PNG_SENTINEL, lang="es", tkey="Descripción")
    info.add_text("Author", PNG_SENTINEL, zip=True)
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info, exif=exif_with_gps(1))
    return out.getvalue()


def webp_with_metadata(alpha: bool = False) -> bytes:
    img = two_tone(mode="RGBA" if alpha else "RGB")
    if alpha:
        img.paste((0, 0, 0, 0), (0, 0, 50, 50))
    out = io.BytesIO()
    img.save(out, "WEBP", quality=90, exif=exif_with_gps(1), xmp=XMP_PACKET,
             icc_profile=ICC_SENTINEL)
    return out.getvalue()


def encoded(img: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def gif_bytes() -> bytes:
    return encoded(two_tone(), "GIF")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a decompression bomb's header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * (width + 1) * 4)  # a few rows; never decoded in the test
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def real_png_bomb() -> bytes:
    """A real, fully valid 8000x6000 (48 MP) PNG that compresses to a few kilobytes."""
    return encoded(Image.new("1", (8000, 6000)), "PNG")

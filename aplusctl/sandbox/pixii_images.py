"""The PNGs the emulated Pixii serves: real images at each variant's module size.

Flat colours and a line of text keep every file a few KB and quick to draw, and the colours come
from a hash of (job, variant, index), so a job's images are the same bytes on every download and
after a restart, which lets callers compare hashes.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from aplusctl.sandbox.pixii_model import VARIANTS

_PREVIEW_WIDTH = 600
_GAP = 12


def _palette(*parts: str) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 12, 3)]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _text_colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return (0, 0, 0) if sum(rgb) > 382 else (255, 255, 255)


def _draw_module(job_id: str, asin: str, variant: str, index: int) -> Image.Image:
    width, height = VARIANTS[variant].size
    background, band, block, accent = _palette(job_id, variant, str(index))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 3 // 4, width, height), fill=band)
    draw.rectangle((width // 16, height // 8, width * 7 // 16, height * 5 // 8), fill=block)
    draw.ellipse((width * 9 // 16, height // 6, width * 9 // 16 + height // 3,
                  height // 6 + height // 3), fill=accent)
    font = _font(max(14, height // 14))
    draw.text((width // 16, height * 3 // 4 + height // 32), f"{variant} - module {index}",
              fill=_text_colour(band), font=font)
    draw.text((width // 16, height // 32), f"ASIN {asin}", fill=_text_colour(background), font=font)
    return image


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=256)
def module_png(job_id: str, asin: str, variant: str, index: int) -> bytes:
    """Module `index` (1-based) of a variant, at the variant's module size."""
    return _png(_draw_module(job_id, asin, variant, index))


@lru_cache(maxsize=64)
def preview_png(job_id: str, asin: str, variant: str) -> bytes:
    """A tall composite: every module scaled to one column, as Pixii's preview shows them."""
    spec = VARIANTS[variant]
    width, height = spec.size
    scaled_height = round(height * _PREVIEW_WIDTH / width)
    total = spec.modules * scaled_height + (spec.modules + 1) * _GAP
    canvas = Image.new("RGB", (_PREVIEW_WIDTH + 2 * _GAP, total), (245, 245, 245))
    for index in range(1, spec.modules + 1):
        module = _draw_module(job_id, asin, variant, index).resize(
            (_PREVIEW_WIDTH, scaled_height), Image.Resampling.NEAREST
        )
        canvas.paste(module, (_GAP, _GAP + (index - 1) * (scaled_height + _GAP)))
    return _png(canvas)

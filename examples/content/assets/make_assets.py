"""Regenerate the example images (run once; the PNG/JPEG files are committed).

Each image is drawn at its module's minimum size (../../../docs and sp-api-aplus.md §6):
a warm gradient, a simple knife or board silhouette and a caption. Usage:
    python examples/content/assets/make_assets.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).parent
OAK = (146, 104, 62)
IRON = (58, 62, 68)
CREAM = (242, 234, 220)

ASSETS: dict[str, tuple[int, int, str, str]] = {
    # name: (width, height, motif, caption)
    "logo.png": (600, 180, "logo", "FERRUM & OAK"),
    "hero-chef-knife.jpg": (970, 600, "knife", "Forged chef's knife"),
    "hero-kochmesser.jpg": (970, 600, "knife", "Geschmiedetes Kochmesser"),
    "board-overlay.jpg": (970, 300, "board", "End-grain oak"),
    "feature-edge.jpg": (220, 200, "knife", "Edge"),
    "feature-handle.jpg": (220, 200, "board", "Handle"),
    "feature-balance.jpg": (220, 200, "knife", "Balance"),
    "feature-steel.jpg": (220, 200, "dots", "Steel"),
    "board-grain.jpg": (300, 300, "board", "Grain"),
    "board-feet.jpg": (300, 300, "dots", "Feet"),
    "board-groove.jpg": (300, 300, "board", "Groove"),
    "care-honing.jpg": (300, 300, "knife", "Honing"),
    "care-washing.jpg": (300, 300, "dots", "Washing"),
    "care-storing.jpg": (300, 300, "board", "Storing"),
    "care-oiling.jpg": (300, 300, "dots", "Oiling"),
    "knife-side.jpg": (300, 300, "knife", "Seitenansicht"),
    "sidebar-main.jpg": (300, 400, "board", "Oak"),
    "sidebar-small.jpg": (300, 175, "dots", "Care oil"),
    "compare-chef.jpg": (150, 300, "knife", "Chef"),
    "compare-santoku.jpg": (150, 300, "knife", "Santoku"),
    "compare-paring.jpg": (150, 300, "knife", "Paring"),
}


def _gradient(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    mask = Image.linear_gradient("L").resize((width, height))
    return Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask)


def _draw(width: int, height: int, motif: str, caption: str) -> Image.Image:
    image = _gradient(width, height, CREAM, OAK if motif != "logo" else CREAM)
    draw = ImageDraw.Draw(image)
    w, h = width, height
    if motif == "knife":
        blade = [(w * 0.12, h * 0.44), (w * 0.62, h * 0.42), (w * 0.62, h * 0.60), (w * 0.40, h * 0.59),
                 (w * 0.24, h * 0.54)]
        draw.polygon(blade, fill=(205, 208, 212), outline=IRON)
        draw.rounded_rectangle([w * 0.62, h * 0.44, w * 0.9, h * 0.54], radius=max(2, int(h * 0.03)), fill=OAK, outline=IRON)
    elif motif == "board":
        draw.rounded_rectangle([w * 0.15, h * 0.25, w * 0.85, h * 0.75], radius=max(3, int(h * 0.06)), fill=OAK, outline=IRON, width=2)
        for i in range(1, 6):
            x = w * 0.15 + i * w * 0.7 / 6
            draw.line([x, h * 0.27, x, h * 0.73], fill=(120, 84, 48), width=2)
    elif motif == "dots":
        for i in range(5):
            r = min(w, h) * 0.06
            cx, cy = w * (0.2 + i * 0.15), h * 0.5
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=IRON)
    size = max(12, int(min(w, h) * (0.22 if motif == "logo" else 0.08)))
    font = ImageFont.load_default(size=size)
    draw.text((w / 2, h * (0.5 if motif == "logo" else 0.88)), caption, fill=IRON, font=font, anchor="mm")
    return image


def main() -> None:
    for name, (width, height, motif, caption) in ASSETS.items():
        image = _draw(width, height, motif, caption)
        path = HERE / name
        if name.endswith(".png"):
            image.save(path, optimize=True)
        else:
            image.save(path, quality=85, optimize=True)
        print(f"{name}: {width}x{height}, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()

"""Benchmark `aplusctl validate` on a synthetic repo: N documents x 7 modules with images.

Usage: python bench/validate.py [N] [--broken]   (default N = 1000)

--broken puts one unknown key in every document, so every file takes the careful YAML path
(positions composed) and every diagnostic is rendered: the worst case for a big repo.

Each document has its own hero image (so N distinct files are hashed and measured) and shares
a pool of 24 smaller images across its other image modules; 14 image references per document.
Prints the wall time and the peak RSS of the `aplusctl validate` subprocess.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

MODULES = """\
modules:
  - standardHeaderImageText:
      headline: Document {i} headline
      block:
        image: {{src: assets/hero-{i}.png, alt: Hero image {i}}}
        headline: Forged from one bar of steel
        body: A long enough paragraph of body text for document {i}, about the knife and its edge.
  - standardFourImageText:
      headline: Four features
      block1: {{image: {{src: assets/feature-{a}.png, alt: Feature one}}, headline: One, body: First feature}}
      block2: {{image: {{src: assets/feature-{b}.png, alt: Feature two}}, headline: Two, body: Second feature}}
      block3: {{image: {{src: assets/feature-{c}.png, alt: Feature three}}, headline: Three, body: Third}}
      block4: {{image: {{src: assets/feature-{d}.png, alt: Feature four}}, headline: Four, body: Fourth}}
  - standardThreeImageText:
      headline: Three squares
      block1: {{image: {{src: assets/square-{a}.png, alt: Square one}}, headline: One, body: First}}
      block2: {{image: {{src: assets/square-{b}.png, alt: Square two}}, headline: Two, body: Second}}
      block3: {{image: {{src: assets/square-{c}.png, alt: Square three}}, headline: Three, body: Third}}
  - standardSingleSideImage:
      imagePositionType: LEFT
      block:
        image: {{src: assets/square-{d}.png, alt: Side image}}
        headline: A side image
        body: Body text next to the image.
  - standardComparisonTable:
      productColumns:
        - {{position: 1, image: {{src: assets/column-{a}.png, alt: One}}, title: One, asin: B0BENCH{i:03d}, highlight: true}}
        - {{position: 2, image: {{src: assets/column-{b}.png, alt: Two}}, title: Two, asin: B0BENCHX{a:02d}}}
        - {{position: 3, image: {{src: assets/column-{c}.png, alt: Three}}, title: Three, asin: B0BENCHY{b:02d}}}
      metricRowLabels:
        - {{position: 1, value: Length}}
  - standardTechSpecs:
      headline: Specifications
      specificationList:
        - {{label: Length, description: 20 cm}}
        - {{label: Steel, description: Carbon steel}}
        - {{label: Weight, description: 210 g}}
        - {{label: Handle, description: Oak}}
  - standardText:
      headline: Care
      body: Wash by hand and dry straight away.
"""

POOL = 8


def build(root: Path, n: int, broken: bool = False) -> None:
    (root / "aplusctl.yaml").write_text("account_type: seller\nmarketplaces: [US, DE]\n", encoding="utf-8")
    assets = root / "assets"
    assets.mkdir()
    content = root / "content"
    content.mkdir()
    for k in range(POOL):
        colour = (40 + k * 20, 90, 140)
        Image.new("RGB", (220, 200), colour).save(assets / f"feature-{k}.png")
        Image.new("RGB", (300, 300), colour).save(assets / f"square-{k}.png")
        Image.new("RGB", (150, 300), colour).save(assets / f"column-{k}.png")
    for i in range(n):
        Image.new("RGB", (970, 600), (i % 256, (i // 256) % 256, 77)).save(assets / f"hero-{i}.png")
        a, b, c, d = (i % POOL, (i + 1) % POOL, (i + 2) % POOL, (i + 3) % POOL)
        text = f"name: Bench document {i}\nasins: [B0BENCH{i:03d}]\n" + MODULES.format(i=i, a=a, b=b, c=c, d=d)
        if broken:
            text = text.replace("      headline: Care", "      hedline: Care")
        (content / f"doc-{i:05d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--broken"]
    broken = "--broken" in sys.argv[1:]
    n = int(args[0]) if args else 1000
    exe = Path(sys.executable).with_name("aplusctl")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, n, broken)
        start = time.perf_counter()
        proc = subprocess.run([str(exe), "-C", str(root), "validate"], capture_output=True, text=True)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kib = usage.ru_maxrss  # KiB on Linux
        tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()
        print(f"documents: {n} x 7 modules ({n + 3 * POOL} distinct images, {14 * n} image references)")
        print(f"result: {tail} (exit {proc.returncode})")
        print(f"wall time: {wall:.2f} s (CPU {usage.ru_utime + usage.ru_stime:.2f} s)")
        print(f"peak RSS: {peak_kib / 1024:.0f} MB")
        if proc.returncode != (1 if broken else 0):
            print(proc.stdout[:2000], file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()

"""One valid module of each of the 15 STANDARD_* types, in API shape.

Tests of other layers (sandbox, import round trip, conformance) use these to cover every module
type without each writing its own fixtures. Texts respect the stricter per-module limits in
`limits.py`; every image is cropped to exactly its module's minimum size.
"""

from __future__ import annotations

from typing import Any, Callable

from aplusctl.content.limits import MODULE_BODY_KEY, min_image_size

ImageId = Callable[[int, int], str] | str
Json = dict[str, Any]


def _px(value: int) -> Json:
    return {"value": value, "units": "pixels"}


def _text(value: str) -> Json:
    return {"value": value}


def _para(*values: str) -> Json:
    return {"textList": [{"value": v} for v in values]}


def _items(*values: str) -> list[Json]:
    return [{"position": i, "text": {"value": v}} for i, v in enumerate(values, start=1)]


def _plain(*values: str) -> list[Json]:
    return [{"position": i, "value": v} for i, v in enumerate(values, start=1)]


class _Images:
    """Builds ImageComponents sized to the module's minimum for the path they sit at."""

    def __init__(self, image_id: ImageId) -> None:
        self._image_id = image_id

    def __call__(self, module_type: str, path: tuple[str | int, ...], alt: str) -> Json:
        size = min_image_size(module_type, path)
        if size is None:
            raise KeyError(f"no image size for {module_type} at {path}")
        w, h = size
        upload_id = self._image_id if isinstance(self._image_id, str) else self._image_id(w, h)
        return {
            "uploadDestinationId": upload_id,
            "imageCropSpecification": {
                "size": {"width": _px(w), "height": _px(h)},
                "offset": {"x": _px(0), "y": _px(0)},
            },
            "altText": alt,
        }


def _block(img: _Images, module_type: str, path: tuple[str | int, ...], n: int) -> Json:
    names = ["Trail-ready", "All-day comfort", "Built to last", "Packs small"]
    bodies = [
        "A grippy outsole and reinforced toe cap keep you steady on loose gravel and wet rock.",
        "Memory-foam insoles and a padded collar cushion every step from trailhead to summit.",
        "Double-stitched seams and a waterproof membrane stand up to seasons of hard use.",
        "The shell compresses into its own pocket, so it fits in any daypack.",
    ]
    return {
        "image": img(module_type, (*path, "image"), f"Northpeak hiking boot, detail {n}"),
        "headline": _text(names[(n - 1) % 4]),
        "body": _para(bodies[(n - 1) % 4]),
    }


def sample_modules(image_id: ImageId) -> list[Json]:
    """15 valid modules, one per STANDARD_* type, in ContentModule API shape.

    `image_id` is either a fixed uploadDestinationId or a function (width, height) → id, so a
    caller can upload a real image of each needed size first.
    """
    img = _Images(image_id)
    modules: list[Json] = [
        {
            "contentModuleType": "STANDARD_HEADER_IMAGE_TEXT",
            "standardHeaderImageText": {
                "headline": _text("Northpeak Ridge Hiking Boots"),
                "block": {
                    **_block(img, "STANDARD_HEADER_IMAGE_TEXT", ("block",), 1),
                    "headline": _text("Made for the long way up"),
                },
            },
        },
        {
            "contentModuleType": "STANDARD_COMPANY_LOGO",
            "standardCompanyLogo": {
                "companyLogo": img("STANDARD_COMPANY_LOGO", ("companyLogo",), "Northpeak logo"),
            },
        },
        {
            "contentModuleType": "STANDARD_IMAGE_TEXT_OVERLAY",
            "standardImageTextOverlay": {
                "overlayColorType": "DARK",
                "block": {
                    "image": img(
                        "STANDARD_IMAGE_TEXT_OVERLAY", ("block", "image"), "Hiker on a ridge at dawn"
                    ),
                    "headline": _text("Go further before sunrise"),
                    "body": _para("Light enough for fast starts, tough enough for the descent."),
                },
            },
        },
        {
            "contentModuleType": "STANDARD_FOUR_IMAGE_TEXT",
            "standardFourImageText": {
                "headline": _text("Four reasons hikers choose Ridge"),
                **{
                    f"block{i}": _block(img, "STANDARD_FOUR_IMAGE_TEXT", (f"block{i}",), i)
                    for i in range(1, 5)
                },
            },
        },
        {
            "contentModuleType": "STANDARD_FOUR_IMAGE_TEXT_QUADRANT",
            "standardFourImageTextQuadrant": {
                f"block{i}": _block(img, "STANDARD_FOUR_IMAGE_TEXT_QUADRANT", (f"block{i}",), i)
                for i in range(1, 5)
            },
        },
        {
            "contentModuleType": "STANDARD_THREE_IMAGE_TEXT",
            "standardThreeImageText": {
                "headline": _text("One boot, three seasons"),
                **{
                    f"block{i}": _block(img, "STANDARD_THREE_IMAGE_TEXT", (f"block{i}",), i)
                    for i in range(1, 4)
                },
            },
        },
        {
            "contentModuleType": "STANDARD_SINGLE_SIDE_IMAGE",
            "standardSingleSideImage": {
                "imagePositionType": "LEFT",
                "block": _block(img, "STANDARD_SINGLE_SIDE_IMAGE", ("block",), 2),
            },
        },
        {
            "contentModuleType": "STANDARD_MULTIPLE_IMAGE_TEXT",
            "standardMultipleImageText": {
                "blocks": [
                    {
                        "block": _block(
                            img, "STANDARD_MULTIPLE_IMAGE_TEXT", ("blocks", i, "block"), i + 1
                        ),
                        "caption": _text(f"Detail {i + 1} of 3"),
                    }
                    for i in range(3)
                ],
            },
        },
        {
            "contentModuleType": "STANDARD_SINGLE_IMAGE_HIGHLIGHTS",
            "standardSingleImageHighlights": {
                "image": img("STANDARD_SINGLE_IMAGE_HIGHLIGHTS", ("image",), "Ridge boot, side view"),
                "headline": _text("Every detail earns its place"),
                "textBlock1": {
                    "headline": _text("Grip"),
                    "body": _para("Deep 5 mm lugs bite into mud, scree and snow."),
                },
                "textBlock2": {
                    "headline": _text("Fit"),
                    "body": _para("A wide toe box leaves room to move on long days."),
                },
                "textBlock3": {
                    "headline": _text("Weather"),
                    "body": _para("A breathable membrane keeps rain out and lets heat escape."),
                },
                "bulletedListBlock": {
                    "headline": _text("At a glance"),
                    "block": {
                        "textList": _items(
                            "Waterproof leather upper", "Vibram-style outsole", "610 g per boot"
                        )
                    },
                },
            },
        },
        {
            "contentModuleType": "STANDARD_SINGLE_IMAGE_SPECS_DETAIL",
            "standardSingleImageSpecsDetail": {
                "headline": _text("Ridge, in detail"),
                "image": img(
                    "STANDARD_SINGLE_IMAGE_SPECS_DETAIL", ("image",), "Ridge boot, cutaway view"
                ),
                "descriptionHeadline": _text("Why it works"),
                "descriptionBlock1": {
                    "headline": _text("Support"),
                    "body": _para("A TPU shank stiffens the midsole for steep ground."),
                },
                "descriptionBlock2": {
                    "headline": _text("Comfort"),
                    "body": _para("Dual-density foam absorbs shock on the way down."),
                },
                "specificationHeadline": _text("Specifications"),
                "specificationListBlock": {
                    "headline": _text("Materials"),
                    "block": {"textList": _items("Full-grain leather", "Rubber outsole")},
                },
                "specificationTextBlock": {
                    "headline": _text("Care"),
                    "body": _para("Brush off dirt and air-dry away from direct heat."),
                },
            },
        },
        {
            "contentModuleType": "STANDARD_IMAGE_SIDEBAR",
            "standardImageSidebar": {
                "headline": _text("Built around your foot"),
                "imageCaptionBlock": {
                    "image": img(
                        "STANDARD_IMAGE_SIDEBAR", ("imageCaptionBlock", "image"), "Boot on a trail"
                    ),
                    "caption": _text("Ridge on the Pacific Crest Trail"),
                },
                "descriptionTextBlock": {
                    "headline": _text("Anatomical last"),
                    "body": _para("Shaped from thousands of foot scans for a secure heel."),
                },
                "descriptionListBlock": {
                    "textList": _items("Locking heel pocket", "Padded tongue", "Speed lacing")
                },
                "sidebarImageTextBlock": {
                    "image": img(
                        "STANDARD_IMAGE_SIDEBAR",
                        ("sidebarImageTextBlock", "image"),
                        "Close-up of the lacing hooks",
                    ),
                    "headline": _text("Speed lacing"),
                    "body": _para("Metal hooks hold tension while you tie off."),
                },
                "sidebarListBlock": {"textList": _items("Sizes 36 to 48", "Regular and wide")},
            },
        },
        {
            "contentModuleType": "STANDARD_COMPARISON_TABLE",
            "standardComparisonTable": {
                "productColumns": [
                    {
                        "position": i + 1,
                        "image": img(
                            "STANDARD_COMPARISON_TABLE",
                            ("productColumns", i, "image"),
                            f"Northpeak {name} boot",
                        ),
                        "title": f"Northpeak {name}",
                        "asin": asin,
                        "highlight": i == 0,
                        "metrics": _plain(weight, water),
                    }
                    for i, (name, asin, weight, water) in enumerate(
                        [
                            ("Ridge", "B0NPRIDGE1", "610 g", "Waterproof"),
                            ("Summit", "B0NPSUMMT2", "720 g", "Waterproof"),
                            ("Trail Low", "B0NPTRAIL3", "480 g", "Water-resistant"),
                        ]
                    )
                ],
                "metricRowLabels": _plain("Weight per boot", "Weather protection"),
            },
        },
        {
            "contentModuleType": "STANDARD_TECH_SPECS",
            "standardTechSpecs": {
                "headline": _text("Technical specifications"),
                "specificationList": [
                    {"label": _text(label), "description": _text(desc)}
                    for label, desc in [
                        ("Upper", "Full-grain leather"),
                        ("Lining", "Waterproof breathable membrane"),
                        ("Outsole", "Rubber, 5 mm lugs"),
                        ("Weight", "610 g per boot (EU 42)"),
                    ]
                ],
                "tableCount": 1,
            },
        },
        {
            "contentModuleType": "STANDARD_TEXT",
            "standardText": {
                "headline": _text("Our story"),
                "body": {
                    "textList": [
                        {
                            "value": "Northpeak started in a garage in Boulder, Colorado, "
                            "resoling boots for friends.",
                            "decoratorSet": [{"type": "STYLE_BOLD", "offset": 0, "length": 9}],
                        }
                    ]
                },
            },
        },
        {
            "contentModuleType": "STANDARD_PRODUCT_DESCRIPTION",
            "standardProductDescription": {
                "body": _para(
                    "The Ridge is a mid-cut hiking boot for day hikes and multi-day treks.",
                    "Break-in time is short thanks to a soft leather collar.",
                ),
            },
        },
    ]
    assert sorted(m["contentModuleType"] for m in modules) == sorted(MODULE_BODY_KEY)
    return modules

"""Desired documents built in code, so the pure planner can be tested without YAML files."""

from __future__ import annotations

import hashlib
from typing import Any

from aplusctl.content.images import LocalImage
from aplusctl.content.loader import DesiredDocument

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


def image(path: str) -> LocalImage:
    return LocalImage(path, hashlib.sha256(path.encode()).hexdigest(), "", 1000, 970, 600, "image/png")


def text_module(headline: str, body: str) -> dict[str, Any]:
    return {
        "contentModuleType": "STANDARD_TEXT",
        "standardText": {"headline": {"value": headline}, "body": {"textList": [{"value": body}]}},
    }


def header_module(src: str, alt: str = "A hero image", headline: str = "Sharp") -> dict[str, Any]:
    return {
        "contentModuleType": "STANDARD_HEADER_IMAGE_TEXT",
        "standardHeaderImageText": {
            "headline": {"value": headline},
            "block": {
                "image": {
                    "uploadDestinationId": f"local:{src}",
                    "imageCropSpecification": {
                        "size": {"width": {"value": 970, "units": "pixels"},
                                 "height": {"value": 600, "units": "pixels"}},
                    },
                    "altText": alt,
                },
                "body": {"textList": [{"value": "Forged steel."}]},
            },
        },
    }


def desired(name: str, modules: list[dict[str, Any]], **fields: Any) -> DesiredDocument:
    """A DesiredDocument with the defaults most planner tests want."""
    defaults: dict[str, Any] = dict(
        path="content/doc.yaml", marketplaces=(US,), locales={US: "en-US", DE: "de-DE"}, asins=(),
        previous_names=(), content_reference_key=None, submit=True, suspended=False, generate=None,
        content_type="EBC", images={},
    )
    return DesiredDocument(name=name, modules=modules, **{**defaults, **fields})

"""A stand-in for the loader's DesiredDocument (same fields, same `body` contract), so the pure
planner can be tested without YAML files."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


@dataclass(frozen=True)
class FakeImage:
    path: str
    sha256: str
    md5_b64: str = ""
    size: int = 1000
    width: int = 970
    height: int = 600
    mime: str = "image/png"


def image(path: str) -> FakeImage:
    return FakeImage(path, hashlib.sha256(path.encode()).hexdigest())


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


@dataclass(frozen=True)
class FakeDoc:
    name: str
    modules: list[dict[str, Any]]
    path: str = "content/doc.yaml"
    marketplaces: tuple[str, ...] = (US,)
    locales: dict[str, str] = field(default_factory=lambda: {US: "en-US", DE: "de-DE"})
    asins: tuple[str, ...] = ()
    previous_names: tuple[str, ...] = ()
    content_reference_key: str | None = None
    submit: bool = True
    suspended: bool = False
    generate: Any = None
    content_type: str = "EBC"
    images: dict[str, FakeImage] = field(default_factory=dict)

    def body(self, marketplace_id: str, resolve: Callable[[str], str | None]) -> dict[str, Any]:
        modules = copy.deepcopy(self.modules)

        def swap(node: Any) -> None:
            if isinstance(node, dict):
                udi = node.get("uploadDestinationId")
                if isinstance(udi, str) and udi.startswith("local:"):
                    node["uploadDestinationId"] = resolve(udi[6:]) or udi
                for v in node.values():
                    swap(v)
            elif isinstance(node, list):
                for v in node:
                    swap(v)

        swap(modules)
        return {
            "name": self.name,
            "contentType": self.content_type,
            "locale": self.locales[marketplace_id],
            "contentModuleList": modules,
        }

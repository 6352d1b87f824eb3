"""The SP-API operations the engine uses (refresh, status, import, apply).

A Protocol rather than SpApiClient itself: the engine also runs over target.RegionRouter (a repo
that spans regions) and, in apply's crash tests, a CallTripwire — both forward the same calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Protocol

from aplusctl.spapi.uploads import UploadDestination


class SpApi(Protocol):
    def search_content_documents(self, marketplace_id: str) -> AsyncIterator[dict[str, Any]]: ...
    async def get_content_document(
        self, content_reference_key: str, marketplace_id: str,
        included_data_set: Iterable[str] = ("CONTENTS", "METADATA"),
    ) -> dict[str, Any]: ...
    def list_content_document_asin_relations(
        self, content_reference_key: str, marketplace_id: str,
        included_data_set: Iterable[str] | None = None, asin_set: Iterable[str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]: ...
    def search_content_publish_records(
        self, marketplace_id: str, asin: str) -> AsyncIterator[dict[str, Any]]: ...
    async def create_content_document(
        self, marketplace_id: str, content_document: Mapping[str, Any]) -> str: ...
    async def update_content_document(
        self, content_reference_key: str, marketplace_id: str, content_document: Mapping[str, Any]
    ) -> str: ...
    async def validate_content_document_asin_relations(
        self, marketplace_id: str, content_document: Mapping[str, Any],
        asin_set: Iterable[str] | None = None,
    ) -> dict[str, Any]: ...
    async def post_content_document_asin_relations(
        self, content_reference_key: str, marketplace_id: str, asin_set: Iterable[str]
    ) -> dict[str, Any]: ...
    async def post_content_document_approval_submission(
        self, content_reference_key: str, marketplace_id: str) -> dict[str, Any]: ...
    async def post_content_document_suspend_submission(
        self, content_reference_key: str, marketplace_id: str) -> dict[str, Any]: ...
    async def create_upload_destination(
        self, marketplace_id: str, content_md5_b64: str, content_type: str
    ) -> UploadDestination: ...
    async def upload(self, destination: UploadDestination, data: bytes, content_type: str,
                     filename: str) -> None: ...

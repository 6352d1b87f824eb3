"""aplus.lock: round trip, determinism, atomic save, clear errors on malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aplusctl.engine.lock import LOCK_FILE, Lock, load_lock, save_lock
from aplusctl.errors import UserError


def test_missing_file_is_empty_lock(tmp_path: Path) -> None:
    lock = load_lock(tmp_path)
    assert lock == Lock()


def test_round_trip_and_lookups(tmp_path: Path) -> None:
    lock = Lock()
    lock.record_upload("ab" * 32, "ATVPDKIKX0DER", "sc/1.png", "assets/hero.png")
    lock.record_document("ATVPDKIKX0DER", "Chef Knife", content_reference_key="k1",
                         applied_hash="h1", asins_hash="a1")
    lock.generations["s1"] = {"job_id": "j"}
    save_lock(tmp_path, lock)
    again = load_lock(tmp_path)
    assert again == lock
    assert again.upload_for("ab" * 32, "ATVPDKIKX0DER") == "sc/1.png"
    assert again.upload_for("ab" * 32, "A1PA6795UKMFR9") is None
    assert again.document("ATVPDKIKX0DER", "Chef Knife")["applied_hash"] == "h1"
    assert again.managed_keys("ATVPDKIKX0DER") == {"k1": "Chef Knife"}


def test_output_is_deterministic_sorted_with_trailing_newline(tmp_path: Path) -> None:
    a, b = Lock(), Lock()
    for mid, name, key in [("M1", "b", "k2"), ("M1", "a", "k1")]:
        a.record_document(mid, name, content_reference_key=key, applied_hash="h")
    for mid, name, key in [("M1", "a", "k1"), ("M1", "b", "k2")]:
        b.record_document(mid, name, content_reference_key=key, applied_hash="h")
    assert a.to_json() == b.to_json()
    text = a.to_json()
    assert text.endswith("}\n")
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert text.index('"M1/a"') < text.index('"M1/b"')


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    save_lock(tmp_path, Lock())
    lock = Lock()
    lock.record_document("M1", "x", content_reference_key="k")
    save_lock(tmp_path, lock)
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE]
    assert load_lock(tmp_path).document("M1", "x") == {"content_reference_key": "k", "managed": True}


def test_rename_and_forget(tmp_path: Path) -> None:
    lock = Lock()
    lock.record_document("M1", "old", content_reference_key="k", applied_hash="h")
    lock.rename_document("M1", "old", "new")
    assert lock.document("M1", "old") is None
    assert lock.document("M1", "new")["applied_hash"] == "h"
    lock.forget_document("M1", "new")
    assert lock.documents == {}


@pytest.mark.parametrize(
    "text, words",
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"uploads": []}', "'uploads'"),
        ('{"uploads": {"s": {"M": {"path": "x"}}}}', "upload_destination_id"),
        ('{"documents": {"nokey": {}}}', "documents.nokey"),
        ('{"version": 99}', "version 99"),
    ],
)
def test_malformed_lock_names_the_file(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / LOCK_FILE).write_text(text)
    with pytest.raises(UserError) as exc:
        load_lock(tmp_path)
    assert LOCK_FILE in str(exc.value) and words in str(exc.value)

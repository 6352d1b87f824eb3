"""`aplusctl generate` against the sandbox's Pixii over real HTTP: pay once, keep the files."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from aplusctl.cli import main
from aplusctl.config import load_config
from aplusctl.content.generated import stanza_hash, with_generated
from aplusctl.content.loader import load_repo
from aplusctl.content.models import parse_module
from aplusctl.engine.generate import generate_then_expand
from aplusctl.engine.lock import load_lock
from aplusctl.errors import UserError
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY

STANZA: dict[str, Any] = {"asin": "B0CHEFKNF1", "country_code": "US",
                          "types": ["A+ Basic", "A+ Premium"], "user_prompt": "emphasise the steel"}


# --- helpers ---------------------------------------------------------------------------------


def write_repo(root: Path, docs: dict[str, dict[str, Any]], account_type: str = "seller") -> Path:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "aplusctl.yaml").write_text(f"account_type: {account_type}\nmarketplaces: [US]\n")
    for name, stanza in docs.items():
        body = {"name": name, "asins": [stanza["asin"]], "generate": stanza}
        (root / "content" / f"{name.lower().replace(' ', '-')}.yaml").write_text(json.dumps(body))
    return root


class Pixii:
    """The sandbox's Pixii admin API, and the CLI pointed at that sandbox."""

    def __init__(self, sandbox: EmbeddedSandbox, root: Path) -> None:
        self.sandbox = sandbox
        self.root = root

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.request(method, f"{self.sandbox.base_url}/pixii/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    @property
    def balance(self) -> int:
        return int(self.admin("GET", "state")["balance"])

    def submissions(self) -> int:
        """Accepted (charged) A+ submissions, from the emulator's request log."""
        log = self.admin("GET", "requests?limit=10000")["requests"]
        return sum(1 for r in log if r["method"] == "POST" and r["path"].endswith("/v1/api/a_plus")
                   and r["status"] == 202)

    def generate(self, *args: str, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(main, ["-C", str(self.root), "generate", "--poll-interval",
                                           "0.05", *args], env={**self.sandbox.env, **(env or {})})
        assert SANDBOX_PIXII_KEY not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    def lock(self) -> dict[str, Any]:
        return json.loads((self.root / "aplus.lock").read_text())["generations"]


@pytest.fixture
def pixii(make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> Pixii:
    sandbox = make_sandbox(pixii_job_seconds=0.2)
    return Pixii(sandbox, write_repo(tmp_path / "repo", {"Chef Knife": STANZA}))


def assert_files_match_lock(root: Path, record: dict[str, Any]) -> int:
    count = 0
    for variant in record["variants"].values():
        for entry in [*variant["files"], *([variant["preview"]] if variant["preview"] else [])]:
            data = (root / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert data.startswith(b"\x89PNG")
            count += 1
    return count


# --- pay once --------------------------------------------------------------------------------


def test_generates_once_and_keeps_the_files_in_the_repo(pixii: Pixii) -> None:
    first = pixii.generate()
    assert first.exit_code == 0, first.output
    assert pixii.balance == 1000 - 40 and pixii.submissions() == 1
    (key, record), = pixii.lock().items()
    assert key == stanza_hash(STANZA)
    assert record["status"] == "completed" and record["job_id"].startswith("job_")
    assert record["types"] == ["A+ Basic", "A+ Premium"] and record["credit_cost"] == 40
    assert record["credits_refunded"] == 0 and record["document"] == "Chef Knife"
    assert assert_files_match_lock(pixii.root, record) == 12
    basic = pixii.root / "assets/generated/chef-knife/a-plus-basic"
    assert sorted(p.name for p in basic.iterdir()) == [
        "module-01.png", "module-02.png", "module-03.png", "module-04.png", "module-05.png",
        "preview.png"]
    assert "Seller Central" in first.output and "A+ Premium" in first.output
    assert "40 credits spent" in first.output

    for _ in range(2):
        again = pixii.generate()
        assert again.exit_code == 0, again.output
        assert "already generated" in again.output and "0 credits spent" in again.output
    offline = pixii.generate(env={"APLUSCTL_PIXII_ENDPOINT": "http://127.0.0.1:9/pixii",
                                  "PIXII_API_KEY": ""})      # nothing to do: Pixii is not needed
    assert offline.exit_code == 0 and "already generated" in offline.output
    assert pixii.balance == 1000 - 40 and pixii.submissions() == 1


def test_deleted_files_are_fetched_again_without_paying(pixii: Pixii) -> None:
    assert pixii.generate().exit_code == 0
    target = pixii.root / "assets/generated/chef-knife/a-plus-basic/module-03.png"
    target.unlink()
    again = pixii.generate()
    assert again.exit_code == 0, again.output
    assert target.is_file() and pixii.submissions() == 1 and pixii.balance == 960
    assert_files_match_lock(pixii.root, next(iter(pixii.lock().values())))


def test_a_changed_stanza_is_a_new_generation_and_replaces_the_old(pixii: Pixii) -> None:
    assert pixii.generate().exit_code == 0
    old_key = next(iter(pixii.lock()))
    write_repo(pixii.root, {"Chef Knife": {**STANZA, "types": ["A+ Basic"], "user_prompt": "the handle"}})
    changed = pixii.generate()
    assert changed.exit_code == 0, changed.output
    assert pixii.submissions() == 2 and pixii.balance == 1000 - 40 - 20
    generations = pixii.lock()
    assert old_key not in generations and len(generations) == 1
    assert not (pixii.root / "assets/generated/chef-knife/a-plus-premium").exists()
    assert_files_match_lock(pixii.root, next(iter(generations.values())))


def test_aplusctl_options_change_no_generation(pixii: Pixii) -> None:
    assert pixii.generate().exit_code == 0
    write_repo(pixii.root, {"Chef Knife": {**STANZA, "alt_text": "Knife", "submit": False,
                                           "module_type": "STANDARD_SINGLE_SIDE_IMAGE"}})
    assert pixii.generate().exit_code == 0
    assert pixii.submissions() == 1


def test_force_regenerates(pixii: Pixii) -> None:
    assert pixii.generate().exit_code == 0
    first = next(iter(pixii.lock().values()))["job_id"]
    forced = pixii.generate("--force")
    assert forced.exit_code == 0, forced.output
    second = next(iter(pixii.lock().values()))
    assert second["job_id"] != first and second["status"] == "completed"
    assert pixii.submissions() == 2 and pixii.balance == 1000 - 80


def test_documents_sharing_a_stanza_share_one_generation(pixii: Pixii) -> None:
    write_repo(pixii.root, {"Chef Knife": STANZA, "Chef Knife Gift Box": STANZA})
    result = pixii.generate()
    assert result.exit_code == 0, result.output
    assert pixii.submissions() == 1 and len(pixii.lock()) == 1


def test_names_select_documents(pixii: Pixii) -> None:
    write_repo(pixii.root, {"Chef Knife": STANZA,
                            "Paring Knife": {**STANZA, "asin": "B0PARING01", "types": ["A+ Basic"]}})
    result = pixii.generate("Paring*")
    assert result.exit_code == 0, result.output
    assert [r["document"] for r in pixii.lock().values()] == ["Paring Knife"]
    assert pixii.balance == 980
    unknown = pixii.generate("Bread Knife")
    assert unknown.exit_code == 1
    assert "no document named 'Bread Knife'" in unknown.output and "Traceback" not in unknown.output


# --- failures --------------------------------------------------------------------------------


def test_a_failed_variant_is_refunded_and_the_others_are_kept(pixii: Pixii) -> None:
    pixii.admin("POST", "fail", {"type": "A+ Premium", "mode": "next"})
    result = pixii.generate()
    assert result.exit_code == 0, result.output
    assert "A+ Premium failed" in result.output and "20 credits refunded" in result.output
    record = next(iter(pixii.lock().values()))
    assert record["status"] == "completed" and record["credits_refunded"] == 20
    assert record["variants"]["A+ Premium"]["error"]["code"] == "IMAGE_GENERATION_ERROR"
    assert record["variants"]["A+ Premium"]["files"] == []
    assert assert_files_match_lock(pixii.root, record) == 6
    assert pixii.balance == 1000 - 40 + 20
    assert pixii.generate().exit_code == 0 and pixii.submissions() == 1


def test_a_failed_job_is_refunded_reported_and_retried_next_run(pixii: Pixii) -> None:
    write_repo(pixii.root, {"Chef Knife": {**STANZA, "types": ["A+ Basic"]}})
    pixii.admin("POST", "fail", {"type": "A+ Basic", "mode": "next"})
    failed = pixii.generate()
    assert failed.exit_code == 1
    assert "failed" in failed.output and "20 credits were refunded" in failed.output
    assert next(iter(pixii.lock().values()))["status"] == "failed"
    assert pixii.balance == 1000
    retried = pixii.generate()
    assert retried.exit_code == 0, retried.output
    assert next(iter(pixii.lock().values()))["status"] == "completed"
    assert pixii.submissions() == 2 and pixii.balance == 980


def test_insufficient_credits_says_what_is_needed_and_charges_nothing(pixii: Pixii) -> None:
    """Each refusal names its cost; the run sums them; a request that fits still goes through."""
    write_repo(pixii.root, {"Chef Knife": STANZA,
                            "Paring Knife": {**STANZA, "asin": "B0PARING01", "types": ["A+ Premium Mobile"]}})
    pixii.admin("PUT", "credits", {"balance": 10})
    result = pixii.generate()
    assert result.exit_code == 1
    assert "Not enough Pixii credits" in result.output and "40 credits" in result.output
    assert "30 credits" in result.output and "together they need 70 credits" in result.output
    assert "Traceback" not in result.output
    assert pixii.balance == 10 and pixii.submissions() == 0
    assert not (pixii.root / "aplus.lock").exists() or pixii.lock() == {}
    assert not (pixii.root / "assets").exists()


@pytest.mark.parametrize("setup, env, words", [
    (("PUT", "brand", {"active": False}), {}, "no active brand"),
    (None, {"PIXII_API_KEY": "pk_test_wrong_key_123"}, "refused the API key"),
])
def test_pixii_refusals_are_clear(pixii: Pixii, setup: Any, env: dict[str, str], words: str) -> None:
    if setup:
        pixii.admin(*setup)
    result = pixii.generate(env=env)
    assert result.exit_code == 1
    assert words in result.output and "Traceback" not in result.output
    assert "pk_test_wrong_key_123" not in result.output
    assert pixii.balance == 1000


def test_rate_limits_are_waited_out(pixii: Pixii) -> None:
    pixii.admin("PUT", "limits", {"per_minute": 1, "window_seconds": 0.5})
    write_repo(pixii.root, {"Chef Knife": {**STANZA, "types": ["A+ Basic"]},
                            "Paring Knife": {**STANZA, "asin": "B0PARING01", "types": ["A+ Basic"]}})
    result = pixii.generate()
    assert result.exit_code == 0, result.output
    assert pixii.submissions() == 2 and len(pixii.lock()) == 2
    log = pixii.admin("GET", "requests?limit=10000")["requests"]
    assert any(r["status"] == 429 for r in log)


def test_an_expired_job_is_reported_and_regenerated_only_with_force(pixii: Pixii) -> None:
    pixii.admin("PUT", "job-seconds", {"seconds": 30})
    waiting = pixii.generate("--timeout", "0")
    assert waiting.exit_code == 1 and "run the command again later" in waiting.output
    assert next(iter(pixii.lock().values()))["status"] == "submitted"
    pixii.admin("PUT", "clock", {"advance_seconds": 8 * 86400})

    expired = pixii.generate()
    assert expired.exit_code == 1
    assert "expired" in expired.output and "--force" in expired.output
    assert next(iter(pixii.lock().values()))["status"] == "expired"
    still = pixii.generate()
    assert still.exit_code == 1 and "expired" in still.output
    assert pixii.submissions() == 1

    pixii.admin("PUT", "job-seconds", {"seconds": 0.2})
    forced = pixii.generate("--force")
    assert forced.exit_code == 0, forced.output
    assert next(iter(pixii.lock().values()))["status"] == "completed"
    assert pixii.submissions() == 2


# --- A+ Basic → a document -------------------------------------------------------------------


@pytest.mark.parametrize("account_type, cap", [("seller", 5), ("vendor", 5)])
def test_a_generated_document_has_valid_modules_and_local_images(
        pixii: Pixii, account_type: str, cap: int) -> None:
    write_repo(pixii.root, {"Chef Knife": {**STANZA, "alt_text": "Chef knife"}}, account_type)
    assert pixii.generate().exit_code == 0
    config = load_config(pixii.root)
    (doc,) = load_repo(pixii.root, config).documents
    assert doc.modules == []
    full = with_generated(doc, load_lock(pixii.root), pixii.root)
    assert len(full.modules) == cap           # the sandbox's Basic set has 5 modules
    assert with_generated(full, load_lock(pixii.root), pixii.root) is full   # idempotent
    record = next(iter(pixii.lock().values()))
    files = {f["path"]: f["sha256"] for f in record["variants"]["A+ Basic"]["files"]}
    for module in full.modules:
        parse_module(module)
        image = module["standardHeaderImageText"]["block"]["image"]
        path = image["uploadDestinationId"].removeprefix("local:")
        assert full.images[path].sha256 == files[path]
        assert (full.images[path].width, full.images[path].height) == (970, 600)
        assert image["altText"] == "Chef knife"
    body = full.body(doc.marketplaces[0])
    assert body["contentType"] == ("EBC" if account_type == "seller" else "EMC")


def test_generate_then_expand_is_what_apply_runs_first(pixii: Pixii) -> None:
    root = pixii.root
    docs = load_repo(root, load_config(root)).documents
    endpoint = pixii.sandbox.base_url + "/pixii"

    def expand() -> list[Any]:
        expanded, _ = asyncio.run(generate_then_expand(docs, load_lock(root), root, endpoint,
                                                       SANDBOX_PIXII_KEY, poll_interval=0.05))
        return expanded

    pixii.admin("PUT", "credits", {"balance": 5})
    with pytest.raises(UserError, match="(?s)40 credits.*No SP-API change was made"):
        expand()
    pixii.admin("PUT", "credits", {"balance": 1000})
    (expanded,) = expand()
    assert len(expanded.modules) == 5 and len(expanded.images) == 5
    (again,) = expand()
    assert again.modules == expanded.modules
    assert pixii.submissions() == 1 and pixii.balance == 960
    with pytest.raises(UserError, match="PIXII_API_KEY is not set"):
        asyncio.run(generate_then_expand([replace_generate(docs[0])], load_lock(root), root,
                                         endpoint, None))


def replace_generate(doc: Any) -> Any:
    from dataclasses import replace

    return replace(doc, generate={**STANZA, "user_prompt": "something new"})


def test_an_unusable_module_type_is_refused_before_paying(pixii: Pixii) -> None:
    write_repo(pixii.root, {"Chef Knife": {**STANZA, "module_type": "STANDARD_TEXT"}})
    result = pixii.generate()
    assert result.exit_code == 1
    # validate refuses the stanza up front (content.generated.module_type_problem)
    assert "cannot hold one generated image" in result.output and "fix them first" in result.output
    assert pixii.submissions() == 0 and pixii.balance == 1000


def test_one_name_in_two_marketplace_files_keeps_two_generations(pixii: Pixii) -> None:
    content = pixii.root / "content"
    for old in content.iterdir():
        old.unlink()
    for country in ("US", "DE"):
        stanza = {**STANZA, "types": ["A+ Basic"], "country_code": country}
        body = {"name": "Chef Knife", "marketplaces": [country], "asins": [STANZA["asin"]],
                "generate": stanza}
        (content / f"knife-{country.lower()}.yaml").write_text(json.dumps(body))
    result = pixii.generate()
    assert result.exit_code == 0, result.output
    generations = pixii.lock()
    assert len(generations) == 2 and len({r["dir"] for r in generations.values()}) == 2
    for record in generations.values():
        assert assert_files_match_lock(pixii.root, record) == 6
    assert pixii.generate().exit_code == 0 and pixii.submissions() == 2


def test_a_sandbox_repo_generates_on_the_embedded_sandbox(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {"Chef Knife": {**STANZA, "types": ["A+ Basic"]}})
    (root / "aplusctl.yaml").write_text("marketplaces: [US]\nsandbox: true\n")
    unset = {name: None for name in ("APLUSCTL_PIXII_ENDPOINT", "APLUSCTL_SPAPI_ENDPOINT",
                                     "APLUSCTL_LWA_ENDPOINT", "PIXII_API_KEY")}
    result = CliRunner().invoke(main, ["-C", str(root), "generate"], env=unset)
    assert result.exit_code == 0, result.output
    assert "sandbox (.aplusctl/sandbox.sqlite)" in result.output
    assert (root / ".aplusctl" / "sandbox.sqlite").is_file()
    (record,) = json.loads((root / "aplus.lock").read_text())["generations"].values()
    assert record["status"] == "completed" and SANDBOX_PIXII_KEY not in result.output


def test_a_server_error_on_submit_keeps_the_intent_and_the_rerun_pays_once(pixii: Pixii) -> None:
    pixii.admin("POST", "faults", {"status": 500, "count": 1})
    failed = pixii.generate()
    assert failed.exit_code == 1 and "internal error" in failed.output
    (record,) = pixii.lock().values()
    assert record["status"] == "submitting" and record["job_id"] is None
    rerun = pixii.generate()
    assert rerun.exit_code == 0, rerun.output
    (record,) = pixii.lock().values()
    assert record["status"] == "completed"
    assert pixii.submissions() == 1 and pixii.balance == 960


def test_a_request_pixii_refuses_as_invalid_leaves_no_trace(pixii: Pixii) -> None:
    from dataclasses import replace

    from aplusctl.engine.generate import generate
    from aplusctl.pixii.client import PixiiClient

    (doc,) = load_repo(pixii.root, load_config(pixii.root)).documents
    bad = replace(doc, generate={**STANZA, "asin": "B0X"})      # Pixii wants 5-15 characters

    async def go() -> Any:
        async with PixiiClient(pixii.sandbox.base_url + "/pixii", SANDBOX_PIXII_KEY) as client:
            return await generate([bad], lock, pixii.root, client, poll_interval=0.05)

    lock = load_lock(pixii.root)
    result = asyncio.run(go())
    assert not result.ok
    assert "rejected the request as invalid" in result.error_message()
    assert "5 to 15 characters" in result.error_message()
    assert lock.generations == {} and load_lock(pixii.root).generations == {}
    assert pixii.balance == 1000


def test_a_smaller_request_that_fits_still_goes_through(pixii: Pixii) -> None:
    write_repo(pixii.root, {"Chef Knife": STANZA,
                            "Paring Knife": {**STANZA, "asin": "B0PARING01", "types": ["A+ Basic"]}})
    pixii.admin("PUT", "credits", {"balance": 30})
    result = pixii.generate()
    assert result.exit_code == 1 and "needs 40 credits" in result.output
    assert [r["document"] for r in pixii.lock().values()] == ["Paring Knife"]
    assert pixii.balance == 10 and pixii.submissions() == 1


def test_json_format_reports_generations_and_credits(pixii: Pixii) -> None:
    first = pixii.generate("--format", "json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["format_version"] == 1 and report["ok"] is True
    assert report["summary"] == {"generated": 1, "already_generated": 0, "failed": 0,
                                 "credits_spent": 40, "credits_refunded": 0}
    (gen,) = report["generations"]
    assert gen["document"] == "Chef Knife" and gen["status"] == "completed"
    assert gen["types"] == ["A+ Basic", "A+ Premium"] and gen["job_id"].startswith("job_")
    again = json.loads(pixii.generate("--format", "json").stdout)
    assert again["summary"]["already_generated"] == 1 and again["summary"]["credits_spent"] == 0

    pixii.admin("PUT", "credits", {"balance": 10})
    short = pixii.generate("--format", "json", "--force")
    assert short.exit_code == 1
    refused = json.loads(short.stdout)
    assert refused["ok"] is False and refused["generations"][0]["error"]["code"] == "INSUFFICIENT_CREDITS"

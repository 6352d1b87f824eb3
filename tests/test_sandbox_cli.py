"""`aplusctl sandbox serve` as a user runs it: a real process, export lines, Ctrl-C."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from aplusctl.sandbox.settings import SANDBOX_CLIENT_SECRET


def test_serve_prints_exports_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "state" / "sandbox.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from aplusctl.cli import main; main()", "-C", str(tmp_path),
         "sandbox", "serve", "--port", "0", "--db", str(db), "--moderation-seconds", "0.1", "--admin"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("# aplusctl sandbox listening on http://127.0.0.1:")
        env: dict[str, str] = {}
        for _ in range(7):
            line = proc.stdout.readline().rstrip("\n")
            assert line.startswith("export ")
            name, value = line[len("export "):].split("=", 1)
            (env[name],) = shlex.split(value)  # shell-quoted: eval gives back the exact value
        assert set(env) == {"LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN", "PIXII_API_KEY",
                            "APLUSCTL_SPAPI_ENDPOINT", "APLUSCTL_LWA_ENDPOINT", "APLUSCTL_PIXII_ENDPOINT"}
        assert env["LWA_CLIENT_SECRET"] == SANDBOX_CLIENT_SECRET
        base = env["APLUSCTL_SPAPI_ENDPOINT"]
        assert banner.strip().endswith(base)
        r = httpx.post(env["APLUSCTL_LWA_ENDPOINT"], data={
            "grant_type": "refresh_token", "refresh_token": env["SP_API_REFRESH_TOKEN"],
            "client_id": env["LWA_APP_ID"], "client_secret": env["LWA_CLIENT_SECRET"]})
        token = r.json()["access_token"]
        r = httpx.get(base + "/aplus/2020-11-01/contentDocuments", params={"marketplaceId": "ATVPDKIKX0DER"},
                      headers={"x-amz-access-token": token})
        assert r.status_code == 200
        assert httpx.get(base + "/_sandbox").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "sandbox stopped" in err and "Traceback" not in err
    assert db.is_file()

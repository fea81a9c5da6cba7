#!/usr/bin/env python3
"""Screenshots of the web page's main views, for the README: docs/screenshots/*.png.

Seeds a fresh home with ``hyperlexicon init --seed core`` in a temporary directory, starts
``hyperlexicon serve`` on a free port of 127.0.0.1, gives it a little history (an edit, a
version, feedback, two calibrations, a proposal) through the REST API, and drives Debian's
Chromium with playwright (no browser download: ``/usr/bin/chromium``) through each view at
1280x800. Nothing is fetched from anywhere but that server.

The pictures are the same from run to run: the server runs with ``HYPERLEXICON_REPRODUCIBLE``
(its clock stands at ``INSTANT``, its jobs and dialogues are numbered, not random), with a
fixed ``PYTHONHASHSEED`` and one embedding thread (hits of equal score in one order), the
history is made in one order, and nothing on screen depends on the time of the run.
``--check`` makes them twice and says which differ, byte for byte.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium PATH] [--check]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1280, 800
WAIT = 30_000  # ms: the longest any step may take
QUESTION = "Что ты чувствуешь перед бурей?"
INSTANT = "2026-03-14T09:26:53+00:00"  # every date the screenshots show
FEEDBACK_TEXTS = (
    "огонь и время", "свеча в темноте", "буря над морем", "тишина перед грозой",
    "страх и ожидание", "дыхание как молния", "путь домой", "солнце и закон",
    "fire and water", "a candle in the storm", "the silence of the sea", "a heart of fire",
)  # fmt: skip


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLEXICON_")}
    env.update(
        HYPERLEXICON_HOME=str(home),
        HYPERLEXICON_AUTO_INDEX="1",
        HYPERLEXICON_LOAD_PLUGINS="",
        HYPERLEXICON_REPRODUCIBLE=INSTANT,
        # hits of equal score keep one order (no per-process string hashing of the sets they
        # pass through), and the index is embedded in the same batches every time
        PYTHONHASHSEED="0",
        HYPERLEXICON_EMBED_THREADS="1",
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not get ready in 120 s")


def _job(api: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while job["state"] not in ("done", "failed", "cancelled", "interrupted"):
        if time.monotonic() > deadline:
            sys.exit(f"job {job['id']} did not finish in 120 s")
        time.sleep(0.3)
        job = api.get(f"/jobs/{job['id']}").json()
    if job["state"] != "done":
        sys.exit(f"job {job['id']}: {job['state']}: {job.get('error')}")
    return job


def _history(api: httpx.Client) -> None:
    """What makes the views worth a picture: an edit, a version, feedback, two calibrations,
    a proposal."""
    form = quote("☉")
    current = api.get(f"/entries/{form}")
    api.patch(
        f"/entries/{form}?reason=brighter+in+poems",
        json={"weight": 0.62, "registers": ["poetic", "philosophical"]},
        headers={"If-Match": current.headers["ETag"]},
    ).raise_for_status()
    api.post("/versions", json={"name": "v2", "message": "the sun, brighter"}).raise_for_status()
    for text in FEEDBACK_TEXTS:
        scene = api.post("/encode", json={"text": text}).json()["scene"]
        for lx in scene["lexemes"]:
            kind = "accept" if lx["score"] >= 0.75 else "reject"
            api.post(
                "/feedback",
                json={"query_id": scene["query_id"], "kind": kind, "lexeme": lx["form"]},
            ).raise_for_status()
    for _ in range(2):
        _job(api, api.post("/calibrate", json={}).json())
    scene = api.post("/encode", json={"text": "ртуть и соль в тигле"}).json()["scene"]
    api.post(
        "/feedback",
        json={
            "query_id": scene["query_id"],
            "kind": "correct",
            "span": "тигле",
            "correction": "🝆",
        },
    ).raise_for_status()


def _shots(url: str, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        page.set_default_timeout(WAIT)
        here = (url, url.replace("http", "ws"), "data:", "blob:")

        def watch(request: Any) -> None:
            if not request.url.startswith(here):
                outside.append(request.url)

        page.on("request", watch)

        def shot(name: str) -> None:
            page.evaluate("document.activeElement && document.activeElement.blur()")
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

        def go(hash_: str, ready: str) -> None:
            page.goto(f"{url}/{hash_}")
            page.wait_for_selector(ready)

        go("#/lexicon", "#nav:not([hidden])")
        page.fill("#q", "огонь")
        page.click("#search-form button[type=submit]")
        # the hits, not the first page of the list that was there before them (🜂 is on both)
        page.wait_for_selector("#results .count:has-text('for «огонь»')")
        page.wait_for_selector("#results a[data-form='🜂']")
        shot("lexicon")

        go(f"#/entry/{quote('☉')}", "#entry article")
        shot("entry")

        go(f"#/edit/{quote('🜂')}", "form.entry-form")
        shot("edit")

        go("#/dialogue", "#ws-state:has-text('connected')")
        page.check("input[name=type][value=encode]")
        page.fill("#say", QUESTION)
        page.click("#send")
        page.wait_for_selector("#turns .turn.done svg.hyperscene")
        page.check("input[name=type][value=decode]")
        page.select_option("#say-style", "poem")
        page.select_option("#say-lang", "en")
        page.click("#send")
        page.wait_for_function("() => document.querySelectorAll('#turns .turn.done').length === 2")
        page.evaluate("window.scrollTo(0, 0)")
        shot("dialogue")

        # a reload resumes the dialogue from the server; the decoded poem and its picture
        go("#/dialogue", "#turns .turn.done:nth-child(2) svg.hyperscene")
        page.evaluate("document.querySelector('#turns .turn.done:nth-child(2)').scrollIntoView()")
        shot("scene")

        go("#/proposals", "#proposals li.proposal")
        shot("proposals")

        go("#/diff/seed-core-1/v2", "#diff .diff")
        shot("versions")

        go("#/calibration", "#calibration svg.calibration-plot")
        shot("calibration")

        go("#/io", "#jobs table.jobs")
        shot("import-export")

        context.close()
        browser.close()
    if outside:
        sys.exit(f"the page fetched from elsewhere: {outside}")
    return saved


def make(out: Path, chromium: str) -> list[Path]:
    """Seed a home, serve it, give it its history, and photograph every view into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hl-shots-") as tmp:
        home = Path(tmp) / "home"
        env = _env(home)
        subprocess.run(
            [sys.executable, "-m", "hyperlexicon", "init", "--seed", "core"],
            env={**env, "HYPERLEXICON_AUTHOR": "seeder"},
            check=True,
            capture_output=True,
            timeout=300,
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hyperlexicon", "serve", "--port", str(port)],
                env={**env, "HYPERLEXICON_AUTHOR": "ada"},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_ready(url, proc, log)
                with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as api:
                    _history(api)
                saved = _shots(url, out, chromium)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)
        if "Traceback" in log.read_text(errors="replace"):
            shutil.copy(log, out / "server.log")
            sys.exit(f"the server logged a traceback: {out / 'server.log'}")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--check", action="store_true", help="make them a second time and compare the bytes"
    )
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        sys.exit(f"{args.chromium} is missing: scripts/test installs Debian's chromium")
    out = args.out.resolve()
    saved = make(out, args.chromium)
    total = sum(p.stat().st_size for p in saved)
    print(f"{len(saved)} screenshots, {total // 1024} KiB")
    if args.check:
        with tempfile.TemporaryDirectory(prefix="hl-shots-again-") as again:
            second = make(Path(again), args.chromium)
            pairs = zip(saved, second, strict=True)
            differ = [a.name for a, b in pairs if a.read_bytes() != b.read_bytes()]
        if differ:
            sys.exit(f"not the same twice: {', '.join(differ)}")
        print("the same twice, byte for byte")


if __name__ == "__main__":
    main()

"""``hyperlexicon serve`` without the ``server`` extra: one line naming the extra, exit code 2,
no traceback. Run as a real CLI process in which the extra's modules cannot be imported (a
meta path finder refuses them, as an interpreter without them would)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hyperlexicon.server import EXTRA

WITHOUT = """
import sys

class Missing:
    '''Refuse the named top-level modules, as if they were not installed.'''

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Missing(sys.argv[1].split(',')))
from hyperlexicon.cli import main
sys.argv = ['hyperlexicon', *sys.argv[2:]]
main()
"""


def _serve_without(modules: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLEXICON_")}
    env["HYPERLEXICON_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT, ",".join(modules), "serve", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("modules", [["fastapi"], ["uvicorn"], list(EXTRA)])
def test_serve_without_the_server_extra_says_so_in_one_line(
    modules: list[str], tmp_path: Path
) -> None:
    done = _serve_without(modules, tmp_path / "home")
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "hyperlexicon[server]" in lines[0]
    for name in modules:
        assert name in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "home").exists()  # nothing was created on the way


def test_the_guard_lets_an_installed_extra_through(tmp_path: Path) -> None:
    """The same wrapper refusing a module the server does not need: serve gets past the
    guard, to the store (not initialized here, which is another one-line refusal)."""
    done = _serve_without(["tkinter"], tmp_path / "home")
    assert "hyperlexicon[server]" not in done.stderr
    assert "not initialized" in done.stderr and "Traceback" not in done.stderr, done

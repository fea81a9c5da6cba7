"""The simulated user of bench/calibration_quality.py: how often and which way it errs, which
thresholds it starts from, and what the script refuses before it opens anything."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script():
    sys.path.insert(0, str(ROOT / "bench"))  # it imports encode_quality beside it
    spec = importlib.util.spec_from_file_location(
        "calibration_quality", ROOT / "bench" / "calibration_quality.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


bench = _script()


def test_a_user_errs_as_often_and_as_one_sidedly_as_asked() -> None:
    both = bench.User(noise=0.2, rng=random.Random(1))
    wrong = [both.errs(right) for right in [True, False] * 2000]
    assert 0.17 < sum(wrong) / len(wrong) < 0.23
    assert any(wrong[0::2]) and any(wrong[1::2])  # right ones rejected, wrong ones accepted
    lenient = bench.User(noise=0.2, leans="accept", rng=random.Random(1))
    assert not any(lenient.errs(True) for _ in range(500))  # never rejects a right one
    assert 0.15 < sum(lenient.errs(False) for _ in range(2000)) / 2000 < 0.25
    strict = bench.User(noise=0.2, leans="reject", rng=random.Random(1))
    assert not any(strict.errs(False) for _ in range(500))
    assert not any(bench.User().errs(False) for _ in range(100))  # no noise, no mistakes
    some = bench.User(judged=0.3, rng=random.Random(2))
    assert 0.25 < sum(some.judges() for _ in range(2000)) / 2000 < 0.35
    assert all(bench.User().judges() for _ in range(100))


def test_starting_thresholds_are_read_and_bad_ones_named() -> None:
    t = bench.starting_thresholds("semantic=0.4, keyword_shift=-0.3")
    assert set(t.semantic.values()) == {0.4} and t.keyword_shift == -0.3
    assert t.anchor == bench.starting_thresholds("").anchor  # the rest are the defaults
    for spec, said in (
        ("semantic", "'semantic' is no NAME=NUMBER"),
        ("anchor=high", "'anchor=high' is no NAME=NUMBER"),
        ("colour=0.3", "'colour' is no threshold"),
    ):
        with pytest.raises(ValueError, match=said):
            bench.starting_thresholds(spec)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--noise", "1.5"], "--noise must be a share from 0 to 1"),
        (["--judged", "-0.1"], "--judged must be a share from 0 to 1"),
        (["--start", "semantic=low"], "--start: 'semantic=low' is no NAME=NUMBER"),
        (["--rounds", "0"], "--rounds must be at least 1"),
    ],
)
def test_bad_options_are_refused_before_anything_is_opened(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert bench.main([*args, "--out", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"calibration_quality: {said}"
    assert not (tmp_path / "none").exists()

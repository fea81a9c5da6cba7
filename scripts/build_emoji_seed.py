#!/usr/bin/env python3
"""Build ``seeds/emoji.yaml``: every fully-qualified emoji as a glyph entry, with its Unicode
CLDR name and keywords in Russian and English. Nothing in it is typed by hand.

Where the data comes from (npm packages, pinned in ``scripts/emoji-data/package.json``):

- ``cldr-annotations-full`` and ``cldr-annotations-derived-full``: the Unicode Consortium's own
  JSON of CLDR's annotations. For each emoji and locale, ``tts`` (the short name a screen
  reader says) and ``default`` (the search keywords); the derived package has the sequences
  (skin tones, flags, keycaps, ZWJ sequences). The names become the first gloss, the keywords
  the rest, verbatim.
- ``emojibase-data``: the list of emoji in the order of Unicode's ``emoji-test.txt``, with each
  one's group and subgroup and its Emoji version. Its own labels and tags are not used (it
  lower-cases keywords, drops the one equal to the name and adds country codes); only which
  emoji there are and where Unicode files them.

No PyPI package carries CLDR's keywords: ``emoji`` has the names (in 14 languages, ru among
them) but no keywords and no groups, Babel carries CLDR's locale data but not its annotations.

Which emoji: every one that ``emoji-test.txt`` calls fully-qualified, skin-tone variants
included; the bare components (skin-tone swatches, hair styles) and lone regional indicator
letters are not emoji of their own and are left out. The fully-qualified string is the code
points emojibase gives, with VS16 after a lone character that is not shown as emoji by
default (UTS #51, ED-18); ``tests/test_seeds.py`` checks the set against the ``emoji`` package.

Registers: only where the Unicode subgroup makes one clear (``REGISTERS`` below); an emoji of
any other subgroup gets none. Weight 0.5 (the default, under the core seed's 0.8), so a core
entry wins a tie in the bridge.

Run (from the repository root):

    npm ci --prefix scripts/emoji-data
    .venv/bin/python scripts/build_emoji_seed.py            # writes seeds/emoji.yaml
    .venv/bin/python scripts/build_emoji_seed.py --check    # exit 1 if the file differs
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import regex
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "scripts" / "emoji-data" / "node_modules"
OUT = ROOT / "seeds" / "emoji.yaml"
LANGS = ("en", "ru")
WEIGHT = 0.5

# A register where the subgroup (Unicode's emoji-test.txt) makes one clear, none elsewhere:
# faces, hearts and emotion marks are how feelings are written, and so are a person's
# gestures; the signs of arithmetic, the digits and arrows are logic's; devices, tools,
# instruments of science and medicine, the controls of players and the pictograms of signs
# are technical; religious symbols are philosophical. Nothing is poetic by its subgroup alone.
REGISTERS: dict[str, tuple[str, ...]] = {
    "emotional": (
        "face-smiling",
        "face-affection",
        "face-tongue",
        "face-hand",
        "face-neutral-skeptical",
        "face-sleepy",
        "face-unwell",
        "face-hat",
        "face-glasses",
        "face-concerned",
        "face-negative",
        "cat-face",
        "monkey-face",
        "heart",
        "emotion",
        "person-gesture",
    ),
    "logical": ("math", "keycap", "arrow"),
    "technical": (
        "computer",
        "phone",
        "science",
        "medical",
        "tool",
        "av-symbol",
        "alphanum",
        "transport-sign",
        "warning",
    ),
    "philosophical": ("religion",),
}
SKIPPED_GROUPS = ("component",)  # skin-tone swatches and hair styles: parts, not emoji
_DEFAULT_EMOJI = regex.compile(r"\p{Emoji_Presentation}")


class DataError(Exception):
    pass


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"{path}: missing; install the data first: npm ci --prefix scripts/emoji-data"
        ) from None


def package_version(data: Path, name: str) -> str:
    return str(_json(data / name / "package.json")["version"])


def annotations(data: Path, lang: str) -> dict[str, dict[str, list[str]]]:
    """CLDR's annotations of one locale, single characters and derived sequences together."""
    plain = _json(data / "cldr-annotations-full" / "annotations" / lang / "annotations.json")
    derived = _json(
        data / "cldr-annotations-derived-full" / "annotationsDerived" / lang / "annotations.json"
    )
    out = dict(derived["annotationsDerived"]["annotations"])
    out.update(plain["annotations"]["annotations"])
    return out


def fully_qualified(hexcode: str) -> str:
    """The emoji's fully-qualified string: emojibase gives sequences with their VS16s, and a
    single character bare, which needs VS16 unless it is shown as emoji by default."""
    chars = "".join(chr(int(h, 16)) for h in hexcode.split("-"))
    if len(chars) == 1 and not _DEFAULT_EMOJI.match(chars):
        chars += "\ufe0f"
    return chars


def emoji_list(data: Path) -> Iterator[tuple[str, dict[str, Any], str, str]]:
    """(form, emojibase record, group, subgroup) in emoji-test.txt order, skins after their
    base."""
    groups = _json(data / "emojibase-data" / "meta" / "groups.json")
    group_names, subgroup_names = groups["groups"], groups["subgroups"]
    known = set(subgroup_names.values())
    for register, subgroups in REGISTERS.items():
        unknown = set(subgroups) - known
        if unknown:
            raise DataError(f"REGISTERS[{register!r}]: no such subgroup {sorted(unknown)}")
    records = _json(data / "emojibase-data" / "en" / "data.json")
    rows = []
    for record in records:
        if record.get("group") is None:
            continue  # regional indicator letters: halves of flags
        group = group_names[str(record["group"])]
        if group in SKIPPED_GROUPS:
            continue
        subgroup = subgroup_names[str(record["subgroup"])]
        for item in (record, *record.get("skins", ())):
            rows.append((item["order"], fully_qualified(item["hexcode"]), item, group, subgroup))
    rows.sort(key=lambda row: row[0])
    for _, form, item, group, subgroup in rows:
        yield form, item, group, subgroup


def _annotation(table: dict[str, dict[str, list[str]]], form: str) -> dict[str, list[str]]:
    for key in (form, form.replace("\ufe0f", "")):
        if key in table:
            return table[key]
    raise KeyError(form)


def _version(value: float) -> str:
    return f"E{value:.1f}"


def build(data: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The seed's header and entries."""
    cldr = {lang: annotations(data, lang) for lang in LANGS}
    register_of = {sub: reg for reg, subs in REGISTERS.items() for sub in subs}
    entries = []
    newest = 0.0
    for form, item, group, subgroup in emoji_list(data):
        glosses = {}
        for lang in LANGS:
            try:
                found = _annotation(cldr[lang], form)
            except KeyError:
                raise DataError(
                    f"{form!r} ({item['hexcode']}): no CLDR {lang} annotation"
                ) from None
            names = [*found.get("tts", ()), *found.get("default", ())]
            glosses[lang] = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        newest = max(newest, float(item["version"]))
        codes = " ".join(f"U+{ord(ch):04X}" for ch in form)
        entry: dict[str, Any] = {
            "form": form,
            "kind": "glyph",
            "glosses": glosses,
            "registers": [register_of[subgroup]] if subgroup in register_of else [],
            "weight": WEIGHT,
            "status": "active",
            "provenance": "seed",
            "notes": f"{codes}; {_version(float(item['version']))}; {group}/{subgroup}",
        }
        entries.append(entry)
    versions = {
        name: package_version(data, name)
        for name in ("emojibase-data", "cldr-annotations-full", "cldr-annotations-derived-full")
    }
    header = {
        "hyperlexicon": 1,
        "lexicon": "emoji",
        "description": (
            f"Every fully-qualified emoji up to Emoji {newest:.1f} ({len(entries)}), with its "
            f"Unicode CLDR {versions['cldr-annotations-full']} name and keywords in Russian "
            "and English."
        ),
    }
    comment = (
        "# Generated by scripts/build_emoji_seed.py from the npm packages "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + ".\n# Do not edit by hand: change the script and run it again.\n"
        "# Notes: the code points; the Emoji version; Unicode's group/subgroup.\n"
    )
    return {"comment": comment, **header}, entries


def render(header: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """YAML in the core seed's layout: one block per entry, lists of words in flow style."""
    head = {k: v for k, v in header.items() if k != "comment"}
    parts = [header["comment"], _dump(head, flow=False), "entries:\n"]
    parts.extend(_dump([entry]) for entry in entries)
    return "".join(parts)


def _dump(value: Any, *, flow: bool | None = None) -> str:
    return yaml.dump(
        value,
        Dumper=yaml.SafeDumper,  # the pure-Python one: libyaml escapes non-BMP characters
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=flow,
    )


def validate(text: str) -> int:
    """Read the result back as the library will, so a refused emoji fails the build."""
    import io

    from hyperlexicon.entry import EntryData
    from hyperlexicon.formats import native

    _, records = native.read_yaml(io.BytesIO(text.encode("utf-8")), "emoji.yaml")
    keys: dict[str, str] = {}
    count = 0
    for where, record in records:
        data = EntryData.from_dict(record, where, repair=False)
        if data.key in keys:
            raise DataError(f"{where}: {data.form!r} has the key of {keys[data.key]}")
        keys[data.key] = where
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="node_modules with the packages")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if --out differs"
    )
    args = parser.parse_args(argv)
    from hyperlexicon.errors import BadInputError

    try:
        header, entries = build(args.data)
        text = render(header, entries)
        count = validate(text)
    except (DataError, BadInputError) as exc:  # missing data, or an emoji the rules refuse
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out}: differs from what the data gives; run {__file__}", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date ({count} entries)")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {count} entries, {len(text.encode()) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write src/hyperlexicon/data/common_words.txt: the commonest words of Russian and English.

The list is the reference vocabulary whose mean vector ``embeddings.common_centre`` takes
away before a semantic search ranks its hits (see docs/index.md). It is built from wordfreq's
frequency lists (Speer et al., a maintained merge of subtitles, Wikipedia, news and web text),
never typed by hand; ``tests/test_index.py`` rebuilds it and compares.

    python scripts/common_words.py            # write the file
    python scripts/common_words.py --check    # exit 1 if the file differs from a rebuild
"""

from __future__ import annotations

import sys
from pathlib import Path

from derived import word_list, write_or_check

OUT = Path(__file__).resolve().parent.parent / "src" / "hyperlexicon" / "data" / "common_words.txt"
LANGUAGES = ("ru", "en")
PER_LANGUAGE = 5000  # of wordfreq's ranked list, before the filter below


def build() -> str:
    import wordfreq

    words: set[str] = set()
    for lang in LANGUAGES:
        # letters only and three or more of them: function words and numbers are near every
        # document alike and would only blur the centre
        words |= {w for w in wordfreq.top_n_list(lang, PER_LANGUAGE) if w.isalpha() and len(w) > 2}
    says = (
        f"the {PER_LANGUAGE} commonest words of {', '.join(LANGUAGES)} by {{wordfreq}}"
        " (letters only, three or more)"
    )
    return word_list(words, says, "common_words.py")


def main(argv: list[str]) -> int:
    return write_or_check(OUT, build(), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

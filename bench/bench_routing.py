"""Routing quality: how often the category suggester puts the right Kediri category first / in its top 3.

The texts are `bench/data/routing_holdout.tsv`: hand-written citizen complaints (slang, typos, abbreviations,
mixed Javanese) labelled with a Kediri demo category. The set is held out: it must never be used to tune the
demo keywords, the folds, the stopwords or the stemmer, or the figures stop meaning anything.

The measurement is pure (no DynamoDB): it ranks the demo categories (`demo.kediri.CATEGORIES`) with
`chalicelib.domain.routing.suggest_categories`, the function `services.directory.suggest_for_text` calls with
the city's active categories; the demo ones are all active, so the ranking is the one an admin would see.
A text with no suggestion at all counts as a miss.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from chalicelib.domain.routing import Category, suggest_categories
from demo.kediri import CATEGORIES

HOLDOUT_PATH = Path(__file__).parent / "data" / "routing_holdout.tsv"
HEADER = ("category_id", "text")


def load_holdout(path: Path = HOLDOUT_PATH) -> list[tuple[str, str]]:
    """The labelled texts as (category_id, text); `#` lines are comments, the first other line is the header."""
    rows: list[tuple[str, str]] = []
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = tuple(line.split("\t"))
        if not header_seen:
            if fields != HEADER:
                raise ValueError(f"{path.name}:{number}: expected the header {HEADER!r}, got {fields!r}")
            header_seen = True
            continue
        if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
            raise ValueError(f"{path.name}:{number}: expected `category_id<TAB>text`")
        rows.append((fields[0].strip(), fields[1].strip()))
    return rows


def ranked_ids(text: str, categories: tuple[Category, ...] = CATEGORIES) -> list[str]:
    """The top-3 category ids for a text, as `suggest_for_text` ranks the active categories."""
    active = [c for c in categories if c.active]
    return [s.category_id for s in suggest_categories(text, active)]


def run(path: Path = HOLDOUT_PATH, categories: tuple[Category, ...] = CATEGORIES) -> dict[str, Any]:
    """Top-1 / top-3 accuracy over the held-out set, plus per-category top-1 (for printing)."""
    rows = load_holdout(path)
    if not rows:
        raise ValueError(f"{path.name}: no labelled texts")
    totals: Counter[str] = Counter()
    top1_hits: Counter[str] = Counter()
    top3_hits = 0
    for category_id, text in rows:
        ranking = ranked_ids(text, categories)
        totals[category_id] += 1
        if ranking[:1] == [category_id]:
            top1_hits[category_id] += 1
        if category_id in ranking[:3]:
            top3_hits += 1
    count = len(rows)
    return {
        "routing_top1_accuracy": round(sum(top1_hits.values()) / count, 3),
        "routing_top3_accuracy": round(top3_hits / count, 3),
        "routing_texts": count,
        "routing_per_category": {cid: round(top1_hits[cid] / totals[cid], 3) for cid in sorted(totals)},
    }


if __name__ == "__main__":
    figures = run()
    for name, value in figures.items():
        if isinstance(value, dict):
            for cid, accuracy in value.items():
                print(f"  {cid:<20} top1 {accuracy}")
        else:
            print(f"{name}: {value}")

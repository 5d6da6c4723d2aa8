"""Agencies (OPD), complaint categories, routing, and keyword category suggestions.

The admin koordinator picks a category for each new complaint; the category names the lead OPD. To make
that a one-click job, `suggest_categories` ranks the city's categories against the complaint text with a
small, deterministic Indonesian-aware keyword matcher: no ML, no data files, explainable (it says which
keywords matched), and cheap enough for a Lambda cold start.

Text and keywords go through the same pipeline, so a city can write keywords the way people talk:
lowercase → drop URLs, e-mail addresses and @mentions → fold reduplication ("anak-anak", "anak2") and
informal spellings ("gk" → "tidak", "jl" → "jalan", "pju" → "penerangan jalan umum") → drop filler words
→ light stemming (`chalicelib/domain/indonesian_stemmer.py`: "berlubang" → "lubang", "kemacetan" → "macet").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.domain.indonesian_stemmer import stem
from chalicelib.domain.sla import Tier

__all__ = [
    "Agency",
    "Category",
    "Suggestion",
    "UnknownCategory",
    "index_categories",
    "route_category",
    "suggest_categories",
    "tokenize",
]


# --------------------------------------------------------------------------------------- directory
@dataclass(frozen=True)
class Agency:
    """A perangkat daerah (OPD) — or a BUMD liaison — that can lead a complaint."""

    agency_id: str
    name: str
    short_name: str
    active: bool = True


@dataclass(frozen=True)
class Category:
    """A complaint category: who leads it, how urgent it is by default, and words that suggest it."""

    category_id: str
    name: str
    agency_id: str
    keywords: tuple[str, ...]
    default_tier: str = Tier.NORMATIF.value
    active: bool = True

    def __post_init__(self) -> None:
        # A list from a database record would make the frozen dataclass unhashable; a tuple keeps it a value.
        object.__setattr__(self, "keywords", tuple(self.keywords))
        if not self.category_id or not self.agency_id:
            raise ValueError("a category needs a category_id and an agency_id")
        if self.default_tier not in {tier.value for tier in Tier}:
            raise ValueError(f"unknown priority tier {self.default_tier!r} for category {self.category_id!r}")


class UnknownCategory(ValueError):
    """The category id is not in the city's catalogue."""

    def __init__(self, category_id: str) -> None:
        super().__init__(f"unknown category {category_id!r}")
        self.category_id = category_id


def route_category(category_id: str, categories: Mapping[str, Category]) -> str:
    """Return the lead agency id for a category.

    Inactive categories still route, so cases filed before a category was retired can be forwarded.
    """
    category = categories.get(category_id)
    if category is None:
        raise UnknownCategory(category_id)
    return category.agency_id


def index_categories(categories: Iterable[Category]) -> dict[str, Category]:
    """Map category id → category, refusing duplicate ids (one would silently shadow the other)."""
    index: dict[str, Category] = {}
    for category in categories:
        if category.category_id in index:
            raise ValueError(f"duplicate category id {category.category_id!r}")
        index[category.category_id] = category
    return index


# --------------------------------------------------------------------------------------- suggestion
@dataclass(frozen=True)
class Suggestion:
    """A ranked category guess; ``score`` is in (0, 1), ``matched`` lists the keywords that fired."""

    category_id: str
    score: float
    matched: tuple[str, ...]


# Scores are raw / (raw + _SATURATION): bounded, independent of how many categories a city has, and a
# single one-word hit (1/3) reads as weaker than a phrase plus a word (4/6).
_SATURATION = 2.0
# Long e-mails are cut: the subject matter of a complaint is stated early, and the work stays bounded.
_MAX_TEXT_CHARS = 5000


def suggest_categories(text: str, categories: Iterable[Category], limit: int = 3) -> list[Suggestion]:
    """Rank active categories by keyword evidence in ``text``, best first; empty if nothing matches.

    A keyword of n words that occurs as a contiguous phrase weighs 2n − 1, so "tidak diangkut" (3)
    outweighs "tidak" and "diangkut" seen apart. Ties go to more distinct keywords, then category id.
    """
    if limit <= 0:
        return []
    tokens = tokenize(text)
    if not tokens:
        return []
    present = set(tokens)
    ranked: list[tuple[float, int, str, tuple[str, ...]]] = []
    for category in categories:
        if not category.active:
            continue
        raw = 0.0
        matched: list[str] = []
        seen: set[tuple[str, ...]] = set()
        for keyword in category.keywords:
            stems = _keyword_stems(keyword)
            if not stems or stems in seen:
                continue
            seen.add(stems)
            if _occurs(stems, tokens, present):
                raw += 2 * len(stems) - 1
                matched.append(keyword)
        if matched:
            ranked.append((raw, len(matched), category.category_id, tuple(matched)))
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [
        Suggestion(category_id=cid, score=round(raw / (raw + _SATURATION), 4), matched=matched)
        for raw, _, cid, matched in ranked[:limit]
    ]


def _occurs(phrase: tuple[str, ...], tokens: tuple[str, ...], present: set[str]) -> bool:
    if len(phrase) == 1:
        return phrase[0] in present
    if not all(stem_ in present for stem_ in phrase):
        return False
    width = len(phrase)
    return any(tokens[i : i + width] == phrase for i in range(len(tokens) - width + 1))


@lru_cache(maxsize=4096)
def _keyword_stems(keyword: str) -> tuple[str, ...]:
    return tokenize(keyword)


# --------------------------------------------------------------------------------------- text pipeline
_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL_RE = re.compile(r"\S+@\S+\.\S+")
_MENTION_RE = re.compile(r"@\w+")
_REDUPLICATION_RE = re.compile(r"\b([a-z]+)-\1\b")  # anak-anak → anak, gorong-gorong → gorong
_INFORMAL_PLURAL_RE = re.compile(r"\b([a-z]{3,})2\b")  # anak2 → anak
_WORD_RE = re.compile(r"[a-z0-9]+")

_TIDAK = ("tidak",)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Informal spellings, abbreviations and a few Javanese words heard in East Java, folded before stemming.
_FOLDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("gk", "ga", "gak", "nggak", "ngga", "engga", "enggak", "kagak", "tdk", "tak", "ndak", "nda", "ora"),
        _TIDAK,
    ),
    # "Not yet" complains the same as "not": "belum diangkut", "belum cair".
    **dict.fromkeys(("belum", "blm", "durung"), _TIDAK),
    "jl": ("jalan",),
    "jln": ("jalan",),
    "dalan": ("jalan",),
    "pju": ("penerangan", "jalan", "umum"),
    "lpju": ("penerangan", "jalan", "umum"),
    "bangjo": ("lampu", "lalu", "lintas"),
    "apill": ("lampu", "lalu", "lintas"),
    "jukir": ("juru", "parkir"),
    "pkl": ("pedagang", "kaki", "lima"),
    "pungli": ("pungutan", "liar"),
    "bansos": ("bantuan", "sosial"),
    "damkar": ("pemadam", "kebakaran"),
    "ektp": ("ktp",),
    "disdukcapil": ("dukcapil",),
    "dispendukcapil": ("dukcapil",),
    "rs": ("rumah", "sakit"),
    "bolong": ("lubang",),
    "mampet": ("tersumbat",),
    "buntu": ("tersumbat",),
    "lpg": ("elpiji",),
    "antri": ("antre",),
    "bnyk": ("banyak",),
    "mslh": ("masalah",),
}

# Filler words that carry no topic. Not here on purpose: "tidak"/"belum" (they make "tidak cair",
# "belum diangkut"), "lalu" ("lalu lintas"), "dapat", "terima".
_STOPWORDS = _word_set(
    """
    di ke dari yang yg dan atau serta ini itu tersebut sudah sdh udah udh telah
    saya sy aku aq kami kita kamu anda dia mereka beliau pak bu mas mbak kak bang min admin mimin
    mohon tolong tlg harap segera untuk utk buat dengan dgn pada sejak karena krn ada juga sangat sekali
    banget bgt lagi tapi tp namun padahal sih dong ya yaa nih tuh kok apa apakah bagaimana gimana kapan
    mengapa kenapa kalau kalo jika agar supaya oleh akan bisa hari minggu bulan tahun jam menit kemarin
    kmrn sekarang skrg tadi semua setiap tiap masih sampai hingga sekitar seperti hal para pun rt rw
    no nomor mana sana sini situ begitu gitu jadi jd terus trs cuma hanya lebih kurang paling
    """
)


def tokenize(text: str) -> tuple[str, ...]:
    """Turn complaint text (or a keyword) into the sequence of stems that matching compares."""
    if not isinstance(text, str):
        return ()
    text = unicodedata.normalize("NFKC", text[:_MAX_TEXT_CHARS]).lower()
    text = _URL_RE.sub(" ", text)
    text = _EMAIL_RE.sub(" ", text)
    text = _MENTION_RE.sub(" ", text)
    text = _REDUPLICATION_RE.sub(r"\1", text)
    text = _INFORMAL_PLURAL_RE.sub(r"\1", text)
    stems: list[str] = []
    for word in _WORD_RE.findall(text):
        for folded in _FOLDS.get(word, (word,)):
            if len(folded) < 2 or folded.isdigit() or folded in _STOPWORDS:
                continue
            stemmed = stem(folded)
            if stemmed not in _STOPWORDS:
                stems.append(stemmed)
    return tuple(stems)

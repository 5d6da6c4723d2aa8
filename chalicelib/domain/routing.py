"""Agencies (OPD), complaint categories, routing, and keyword category suggestions.

The admin koordinator picks a category for each new complaint; the category names the lead OPD. To make
that a one-click job, `suggest_categories` ranks the city's categories against the complaint text with a
small, deterministic Indonesian-aware keyword matcher: no ML, no data files, explainable (it says which
keywords matched), and cheap enough for a Lambda cold start.

Text and keywords go through the same pipeline, so a city can write keywords the way people talk:
lowercase → drop URLs, e-mail addresses and @mentions → fold reduplication ("anak-anak", "anak2") and
informal spellings ("gk" → "tidak", "jl" → "jalan", "pju" → "penerangan jalan umum") → drop filler words
→ light stemming ("berlubang" → "lubang", "kemacetan" → "macet", "genangan"/"tergenang" → "genang").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.domain.sla import Tier

__all__ = [
    "Agency",
    "Category",
    "Suggestion",
    "UnknownCategory",
    "index_categories",
    "route_category",
    "stem",
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


# --------------------------------------------------------------------------------------- stemmer
# Roots the stemmer stops at. Two jobs: protect words that merely look affixed ("jalan" is not jal+an,
# "sekolah" is not seko+lah, "pangan" is not pang+an), and choose among the spellings a nasal prefix
# hides ("pemakaman" could hide p- or m-: it is "makam"). Words outside the list are stemmed by rule, which is
# consistent for text and keywords alike, so the list only needs the words the catalogue cares about.
_ROOTS = _word_set(
    """
    adu air akta alir ambil angkut antre api aspal asap atap bahaya baik bakar balap baliho bangun
    banjir bantu bau bayar bayi beasiswa bedah beli beras berat berkas bersih besi bocor bolos buang
    bunuh busuk cair calo camat cat cetak cemar daftar dagang daging dahan dapat debit dinas didik
    dokter domisili drainase dukcapil elpiji evakuasi gali ganti gas gedung gelap gelombang genang
    gigit goreng gorong got gratifikasi guru hambat harga hewan hujan huni ikan imunisasi izin jabat
    jalan jalur jembatan jual kabel kali kantor keluarga keluh kembali kencang keras keruh kecil kerja
    kios kirim kotor kuota korupsi kumuh kurang lahir lalu lama lambat lampu langka lapak lapor lari layak
    layan liar limbah lintas lubang lurah luap macet makam makan mahal marka masalah mati melon meter
    minta minyak mobil motor murid nikah obat olah padam paksa pajak pangan pangkas pantai parkir pasar
    pasang pecah pegawai pendidikan perumahan pindah pipa pohon polusi posyandu pungut pupuk rabies
    rambu ranting rawat rekam retak retribusi roboh rumah rusak salah saluran sampah sapi sawah sehat
    sekolah selokan seragam siswa sogok sosial stok suap sumbat sungai surat taman tambal tangan tani
    tarif tebang terang terima terlantar ternak timbang tolak trotoar tumbang tumpuk tunggu tutup
    uang umum urus usaha warga zonasi
    """
)

_VOWELS = frozenset("aeiou")
# Minimum stem length when no known root confirms a cut: keeps "mati", "keras", "dinas" whole.
_MIN_RULE_STEM = 4


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """Light Indonesian stemmer: strip particles, -nya, one derivational suffix and up to three prefixes.

    Tries every cut (with the sound changes of meN-/peN-) and returns the first that is a known root;
    otherwise applies the rules greedily with a minimum stem length.
    """
    if len(word) < 4 or word in _ROOTS or not word.isalpha():
        return word
    for candidate in _candidates(word):
        if candidate in _ROOTS:
            return candidate
    return _greedy(word)


def _inflectional_forms(word: str) -> list[str]:
    """The word, then without a particle (-lah, -kah), then also without -nya."""
    forms = [word]
    current = word
    for suffix in ("lah", "kah"):
        if current.endswith(suffix) and len(current) - len(suffix) >= 3:
            current = current[: -len(suffix)]
            forms.append(current)
            break
    if current.endswith("nya") and len(current) - 3 >= 3:
        forms.append(current[:-3])
    return forms


def _derivational_forms(word: str) -> list[str]:
    """The word, then each way to drop one of -kan, -an, -i."""
    forms = [word]
    for suffix in ("kan", "an", "i"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)])
    return forms


def _prefix_cuts(word: str) -> list[str]:
    """Every way to remove one prefix, most likely first, with the meN-/peN- sound changes restored."""
    cuts: list[str] = []
    if word.startswith(("me", "pe")):
        nasal, rest = word[:2], word[2:]
        head, tail = rest[:1], rest[1:]
        if rest.startswith("ng"):
            tail = rest[2:]
            if tail[:1] in _VOWELS:
                cuts += [tail, "k" + tail]  # mengangkut → angkut, mengirim → kirim
                if tail.startswith("e"):
                    cuts.append(tail[1:])  # mengecat → cat
            elif tail:
                cuts.append(tail)  # menggenang → genang, menghambat → hambat
        elif rest.startswith("ny"):
            if rest[2:3] in _VOWELS:
                cuts += ["s" + rest[2:], rest]  # menyapu → sapu, menyanyi → nyanyi
        elif head == "m":
            if tail[:1] in _VOWELS:
                cuts += ["p" + tail, rest]  # memukul → pukul, memakan → makan
            elif tail[:1] in ("b", "f", "p", "v"):
                cuts.append(tail)  # membakar → bakar, memperbaiki → perbaiki
        elif head == "n":
            if tail[:1] in _VOWELS:
                cuts += ["t" + tail, rest]  # menumpuk → tumpuk, menikah → nikah
            elif tail[:1] in ("c", "d", "j", "s", "t", "z"):
                cuts.append(tail)  # mencuri → curi, mendaftar → daftar
        elif nasal == "me" and head in ("l", "r", "w", "y"):
            cuts.append(rest)  # melayani → layani, merusak → rusak
        elif nasal == "pe" and head == "r":
            cuts += [tail, rest]  # perbaikan → baikan (per-); peringatan → ringatan (pe-)
        elif nasal == "pe" and head and head not in _VOWELS:
            cuts.append(rest)  # pedagang → dagang, petani → tani, pelayanan → layanan
    if word.startswith("ber"):
        cuts.append(word[3:])  # berlubang → lubang
        if word[3:4] in _VOWELS:
            cuts.append("r" + word[3:])  # berenang → renang
    elif word.startswith("be") and word[3:5] == "er":
        cuts.append(word[2:])  # bekerja → kerja
    if word.startswith("ter"):
        cuts.append(word[3:])  # tergenang → genang
        if word[3:4] in _VOWELS:
            cuts.append("r" + word[3:])
    if word.startswith(("di", "ke", "se")):
        cuts.append(word[2:])  # diangkut → angkut, kemacet → macet
    unique: list[str] = []
    for cut in cuts:
        if len(cut) >= 2 and cut not in unique:
            unique.append(cut)
    return unique


def _with_prefixes_removed(word: str, depth: int = 3) -> Iterable[str]:
    yield word
    if depth == 0:
        return
    for cut in _prefix_cuts(word):
        yield from _with_prefixes_removed(cut, depth - 1)


def _candidates(word: str) -> Iterable[str]:
    for inflected in _inflectional_forms(word):
        for derived in _derivational_forms(inflected):
            yield from _with_prefixes_removed(derived)


def _greedy(word: str) -> str:
    """Rule-only stemming for words no known root confirms; deterministic, never below 4 letters."""
    current = word
    for suffix in ("lah", "kah"):
        if current.endswith(suffix) and len(current) - len(suffix) >= _MIN_RULE_STEM:
            current = current[: -len(suffix)]
            break
    if current.endswith("nya") and len(current) - 3 >= _MIN_RULE_STEM:
        current = current[:-3]
    for suffix in ("kan", "an", "i"):
        if suffix == "i" and current.endswith("si"):
            break  # imunisasi, retribusi: loanwords, not -i derivations
        if current.endswith(suffix) and len(current) - len(suffix) >= _MIN_RULE_STEM:
            current = current[: -len(suffix)]
            break
    for _ in range(3):
        cuts = [cut for cut in _prefix_cuts(current) if len(cut) >= _MIN_RULE_STEM]
        if not cuts:
            break
        current = cuts[0]
    return current

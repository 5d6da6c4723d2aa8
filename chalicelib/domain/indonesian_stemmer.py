"""A light Indonesian stemmer, confirmed by a list of roots: the affix stripping behind the keyword matcher of
`chalicelib/domain/routing.py` ("berlubang" → "lubang", "kemacetan" → "macet", "genangan"/"tergenang" → "genang").

It strips a particle (-lah, -kah), the possessive -nya, one derivational suffix (-kan, -an, -i) and up to three
prefixes (meN-, peN- with their nasal sound changes undone, ber-, ter-, per-, di-, ke-, se-), tries every such
cut and stops at the first one that is a known root; a word no root confirms is cut by the rules alone, never
below four letters. Pure Python, no data files, deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

__all__ = ["stem"]


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


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

"""The Indonesian stemmer under the keyword matcher: affixed forms come to their root, roots stay whole."""

from __future__ import annotations

import pytest

from chalicelib.domain.indonesian_stemmer import stem


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("berlubang", "lubang"),
        ("sampahnya", "sampah"),
        ("macet", "macet"),
        ("kemacetan", "macet"),
        ("tergenang", "genang"),
        ("genangan", "genang"),
        ("menggenangi", "genang"),
        ("diangkut", "angkut"),
        ("pengangkutan", "angkut"),
        ("kebakaran", "bakar"),
        ("terbakar", "bakar"),
        ("membakar", "bakar"),
        ("menumpuk", "tumpuk"),
        ("pelayanan", "layan"),
        ("perizinan", "izin"),
        ("kebersihan", "bersih"),
        ("dimintai", "minta"),
        ("pemakaman", "makam"),
        ("memperbaiki", "baik"),
        ("kelurahan", "lurah"),
        ("jalanan", "jalan"),
        # roots that only look affixed stay whole
        ("jalan", "jalan"),
        ("sekolah", "sekolah"),
        ("sungai", "sungai"),
        ("mati", "mati"),
        ("selokan", "selokan"),
        ("pangan", "pangan"),
        ("imunisasi", "imunisasi"),
    ],
)
def test_the_stemmer_brings_affixed_forms_to_their_root(word: str, root: str) -> None:
    assert stem(word) == root

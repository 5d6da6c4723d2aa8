"""Routing and category suggestion: where a complaint lands, as a Kediri admin koordinator would expect."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.routing import (
    Category,
    Suggestion,
    UnknownCategory,
    index_categories,
    route_category,
    suggest_categories,
    tokenize,
)
from demo.kediri import CATEGORIES

KEDIRI = index_categories(CATEGORIES)


# -- routing ---------------------------------------------------------------------------------------


def test_a_category_routes_to_its_lead_agency() -> None:
    assert route_category("jalan-jembatan", KEDIRI) == "dpupr"
    assert route_category("kebersihan", KEDIRI) == "dlhkp"


def test_an_unknown_category_is_a_clear_error() -> None:
    with pytest.raises(UnknownCategory) as error:
        route_category("tidak-ada", KEDIRI)

    assert isinstance(error.value, ValueError)
    assert error.value.category_id == "tidak-ada"


def test_a_retired_category_still_routes_so_old_cases_can_be_forwarded() -> None:
    retired = Category("lama", "Kategori lama", "setda", ("lama",), active=False)

    assert route_category("lama", {"lama": retired}) == "setda"


def test_duplicate_category_ids_are_refused_when_indexing() -> None:
    one = Category("sampah", "Sampah", "dlhkp", ("sampah",))
    with pytest.raises(ValueError, match="duplicate"):
        index_categories([one, Category("sampah", "Sampah lagi", "dpupr", ("got",))])


def test_a_category_with_an_unknown_tier_is_refused() -> None:
    with pytest.raises(ValueError, match="tier"):
        Category("sampah", "Sampah", "dlhkp", ("sampah",), default_tier="urgent")


def test_keywords_from_a_database_list_become_a_tuple_so_the_category_stays_hashable() -> None:
    category = Category("sampah", "Sampah", "dlhkp", ["sampah", "tps"])  # type: ignore[arg-type]

    assert category.keywords == ("sampah", "tps")
    assert hash(category) == hash(Category("sampah", "Sampah", "dlhkp", ("sampah", "tps")))


# -- realistic complaints land where a Kediri officer expects ----------------------------------------


@pytest.mark.parametrize(
    ("complaint", "category_id", "agency_id"),
    [
        ("Jalan berlubang di Jl. Dhoho depan toko, bahaya buat motor", "jalan-jembatan", "dpupr"),
        ("Sampah menumpuk di pinggir sungai Brantas sudah 3 hari gk diangkut", "kebersihan", "dlhkp"),
        ("lampu PJU mati di Jl. Hayam Wuruk", "penerangan-jalan", "dishub"),
        ("Pelayanan KTP di kecamatan lama sekali", "adminduk", "dispendukcapil"),
        ("anak saya tidak dapat kuota PPDB zonasi", "pendidikan", "disdik"),
        ("BPJS ditolak puskesmas", "kesehatan", "dinkes"),
        ("air PDAM mati 2 hari", "air-bersih", "pdam"),
        ("Kalau hujan depan rumah selalu banjir, genangan sampai lutut", "drainase", "dpupr"),
        ("Jl. Kawi tergenang tiap hujan deras", "drainase", "dpupr"),
        ("Rumah saya kebanjiran lagi", "drainase", "dpupr"),
        ("Ada pungli waktu ngurus surat di kelurahan", "pungli", "inspektorat"),
        ("Oknum minta pungutan liar 50 ribu", "pungli", "inspektorat"),
        ("Pedagang kaki lima menutup trotoar di Jl. Dhoho", "ketertiban", "satpolpp"),
        ("PKL menutup trotoar depan Kediri Mall", "ketertiban", "satpolpp"),
        ("Ngurus izin usaha kok lama sekali", "perizinan", "dpmptsp"),
        ("PBG rumah saya belum terbit padahal berkas lengkap", "perizinan", "dpmptsp"),
        ("Bansos PKH ibu saya tidak cair", "bansos", "dinsos"),
        ("Banyak anjing liar berkeliaran, warga takut rabies", "hewan-pertanian", "dkpp"),
        ("Ada kebakaran rumah di Kelurahan Bandar Lor", "bencana-kebakaran", "bpbd"),
        ("Pohon tumbang menutup jalan di Jl. Veteran", "bencana-kebakaran", "bpbd"),
        ("Harga minyak goreng di Pasar Setonobetek naik terus", "pasar-perdagangan", "disperdagin"),
        ("Elpiji 3 kg langka di pengecer", "pasar-perdagangan", "disperdagin"),
        ("Parkir liar bikin macet di depan stasiun", "lalu-lintas", "dishub"),
        ("Bangjo perempatan Jl. Brawijaya mati", "lalu-lintas", "dishub"),
        ("Limbah tahu dibuang ke sungai, baunya menyengat", "pencemaran", "dlhkp"),
        ("Pohon di depan sekolah rawan tumbang, mohon dipangkas", "pertamanan", "dlhkp"),
        ("Warga membakar sampah sembarangan, asapnya ke mana-mana", "kebersihan", "dlhkp"),
        ("Rumah tetangga saya tidak layak huni, mohon bedah rumah", "perumahan", "perkim"),
        ("Wifi publik di Taman Sekartaji tidak bisa dipakai", "layanan-digital", "diskominfo"),
        ("Selokan mampet, airnya meluap ke jalan", "drainase", "dpupr"),
        ("Sampah blm diangkut", "kebersihan", "dlhkp"),
    ],
)
def test_a_realistic_complaint_is_suggested_to_the_expected_category_and_agency(
    complaint: str, category_id: str, agency_id: str
) -> None:
    suggestions = suggest_categories(complaint, CATEGORIES)

    assert suggestions, complaint
    assert suggestions[0].category_id == category_id, suggestions
    assert route_category(suggestions[0].category_id, KEDIRI) == agency_id


def test_a_suggestion_says_which_keywords_matched_so_the_officer_can_judge_it() -> None:
    [top, *_] = suggest_categories("Sampah menumpuk sudah 3 hari gk diangkut", CATEGORIES)

    assert top.category_id == "kebersihan"
    assert set(top.matched) >= {"sampah", "sampah menumpuk", "tidak diangkut"}


@pytest.mark.parametrize("text", ["", "   ", "Terima kasih, min", "Selamat pagi", "😀👍", "12345"])
def test_a_message_without_any_topic_gets_no_suggestion(text: str) -> None:
    assert suggest_categories(text, CATEGORIES) == []


# -- the matcher on a small catalogue ---------------------------------------------------------------

ROAD = Category("jalan", "Jalan", "dpupr", ("jalan rusak", "lubang", "aspal"))
WASTE = Category("sampah", "Sampah", "dlhkp", ("sampah", "tidak diangkut"))
LIGHTS = Category("pju", "PJU", "dishub", ("lampu", "lampu jalan mati"))
SMALL = (ROAD, WASTE, LIGHTS)


def test_a_phrase_outweighs_a_single_word() -> None:
    [top, second] = suggest_categories("jalan rusak, lampu juga", SMALL)

    assert (top.category_id, second.category_id) == ("jalan", "pju")
    assert top.score > second.score


def test_a_phrase_only_counts_when_its_words_are_together() -> None:
    assert suggest_categories("jalan di depan pasar, ada yang rusak", (ROAD,)) == []


def test_more_evidence_gives_a_higher_score_and_scores_stay_between_zero_and_one() -> None:
    weak = suggest_categories("ada sampah", SMALL)[0].score
    strong = suggest_categories("sampah tidak diangkut", SMALL)[0].score

    assert 0 < weak < strong < 1


def test_results_are_ranked_best_first_and_cut_to_the_limit() -> None:
    text = "lampu jalan mati, sampah, dan lubang"

    assert [s.category_id for s in suggest_categories(text, SMALL)] == ["pju", "jalan", "sampah"]
    assert [s.category_id for s in suggest_categories(text, SMALL, limit=1)] == ["pju"]
    assert suggest_categories(text, SMALL, limit=0) == []


def test_equal_evidence_is_ordered_by_category_id_so_the_result_is_stable() -> None:
    suggestions = suggest_categories("sampah dan lubang", (WASTE, ROAD))

    assert [s.category_id for s in suggestions] == ["jalan", "sampah"]
    assert suggestions[0].score == suggestions[1].score


def test_inactive_categories_are_never_suggested() -> None:
    retired = Category("sampah-lama", "Sampah (lama)", "dlhkp", ("sampah",), active=False)

    assert suggest_categories("sampah", (retired,)) == []


def test_words_inside_links_and_mentions_do_not_count() -> None:
    text = "cek https://kedirikota.go.id/sampah dan @sampah_kediri"

    assert suggest_categories(text, SMALL) == []


def test_affixed_forms_match_a_base_form_keyword_and_vice_versa() -> None:
    berlubang = Category("jalan", "Jalan", "dpupr", ("jalan berlubang",))

    assert suggest_categories("jalannya lubang besar", (berlubang,))[0].matched == ("jalan berlubang",)
    assert suggest_categories("Jalan berlubang-lubang", (ROAD,))[0].matched == ("lubang",)


def test_a_keyword_spelled_two_ways_counts_once() -> None:
    doubled = Category("banjir", "Banjir", "dpupr", ("genangan", "tergenang"))
    single = Category("banjir", "Banjir", "dpupr", ("genangan",))

    assert suggest_categories("air tergenang", (doubled,)) == suggest_categories("air tergenang", (single,))


@given(st.text(max_size=300), st.integers(min_value=0, max_value=5))
def test_any_text_gives_a_bounded_ranked_list_and_never_crashes(text: str, limit: int) -> None:
    suggestions = suggest_categories(text, CATEGORIES, limit=limit)

    assert len(suggestions) <= limit
    assert all(isinstance(s, Suggestion) and 0 < s.score < 1 and s.matched for s in suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert suggest_categories(text, CATEGORIES, limit=limit) == suggestions


# -- the text pipeline ------------------------------------------------------------------------------


def test_text_is_lowercased_folded_and_stripped_of_filler() -> None:
    assert tokenize("Sampah sdh 3 hari GK diangkut!!") == ("sampah", "tidak", "angkut")
    assert tokenize("lampu PJU di Jl. Hayam Wuruk") == (
        "lampu", "terang", "jalan", "umum", "jalan", "hayam", "wuruk",
    )  # fmt: skip
    assert tokenize("anak-anak dan anak2") == ("anak", "anak")
    assert tokenize("nggak / ga / tdk / ndak / belum") == ("tidak",) * 5


@given(st.text(max_size=200))
def test_tokenizing_is_deterministic_and_yields_lowercase_words(text: str) -> None:
    tokens = tokenize(text)

    assert tokenize(text) == tokens
    assert all(token and token == token.lower() and " " not in token for token in tokens)

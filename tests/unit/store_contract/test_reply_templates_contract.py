"""The reply templates' contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
one template per form key, a replay answered with the stored one, listing per agency by title."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pynamodb.exceptions import GetError, PutError, QueryError

from chalicelib.store.reply_templates import ReplyTemplate, template_id_for
from tests.support.memory.officer_tools import InMemoryReplyTemplateRepository

WIB = timezone(timedelta(hours=7))
AT = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    if request.param == "memory":
        return InMemoryReplyTemplateRepository()
    from chalicelib.store.reply_templates import ReplyTemplateRepository

    return ReplyTemplateRepository()


def new_agency() -> str:
    return f"kontrak-{uuid.uuid4().hex[:12]}"


def test_a_new_template_is_added_under_the_id_its_agency_and_form_key_give(repo):
    agency = new_agency()
    template, created = repo.put(agency, "form-1", "Terima kasih", "Laporan diterima.", "petugas", AT)
    assert created is True
    assert template == ReplyTemplate(agency, template_id_for(agency, "form-1"), "Terima kasih", "Laporan diterima.",
                                     "petugas", AT)
    assert template.updated_at.tzinfo is WIB  # the new one comes back with the time exactly as given
    stored = repo.get(agency, template.template_id)
    assert stored == template and stored.updated_at.tzinfo == UTC  # the stored one in UTC


def test_a_replayed_form_adds_nothing_and_returns_the_stored_template(repo):
    agency = new_agency()
    first, _ = repo.put(agency, "form-1", "Judul", "Isi", "a", AT)
    again, created = repo.put(agency, "form-1", "Lain", "Isi lain", "b", AT + timedelta(hours=1))
    assert created is False
    assert (again.template_id, again.title, again.body, again.updated_by, again.updated_at) == (
        first.template_id, "Judul", "Isi", "a", AT)
    assert [t.title for t in repo.list(agency)] == ["Judul"]


def test_the_same_form_key_in_another_agency_is_another_template(repo):
    agency, other = new_agency(), new_agency()
    mine, _ = repo.put(agency, "form-1", "A", "a", "u", AT)
    theirs, created = repo.put(other, "form-1", "B", "b", "u", AT)
    assert created is True and mine.template_id != theirs.template_id
    assert repo.get(agency, theirs.template_id) is None


def test_a_naive_time_is_read_back_as_utc(repo):
    agency = new_agency()
    naive = datetime(2026, 11, 30, 2, 0)
    template, _ = repo.put(agency, "form-1", "A", "a", "u", naive)
    assert template.updated_at == naive  # as given
    assert repo.get(agency, template.template_id).updated_at == naive.replace(tzinfo=UTC)


def test_get_answers_none_for_an_unknown_or_empty_id(repo):
    agency = new_agency()
    assert repo.get(agency, "0123456789abcdef") is None
    assert repo.get(agency, "") is None
    assert repo.get("", "") is None  # an empty id is answered before any read


def test_an_empty_agency_is_refused(repo):
    with pytest.raises(PutError):
        repo.put("", "form-1", "A", "a", "u", AT)
    with pytest.raises(GetError):
        repo.get("", "0123456789abcdef")
    with pytest.raises(QueryError):
        repo.list("")


def test_list_orders_by_title_ignoring_case_then_by_id(repo):
    agency = new_agency()
    for key, title in [("k1", "zebra"), ("k2", "Apel"), ("k3", "mangga"), ("k4", "apel")]:
        repo.put(agency, key, title, "isi", "u", AT)
    listed = repo.list(agency)
    assert [t.title.lower() for t in listed] == ["apel", "apel", "mangga", "zebra"]
    apples = [t for t in listed if t.title.lower() == "apel"]
    assert [t.template_id for t in apples] == sorted(t.template_id for t in apples)
    assert all(t.updated_at == AT and t.updated_at.tzinfo == UTC for t in listed)


def test_list_is_per_agency_and_empty_for_an_agency_without_templates(repo):
    agency, other = new_agency(), new_agency()
    repo.put(agency, "k1", "A", "a", "u", AT)
    assert repo.list(other) == []
    assert [t.agency_id for t in repo.list(agency)] == [agency]


def test_the_limit_takes_templates_in_id_order_before_ordering_by_title(repo):
    """The Query reads in template-id order; only those it read are then ordered by title."""
    agency = new_agency()
    keys = sorted((f"k{i}" for i in range(6)), key=lambda k: template_id_for(agency, k))
    for rank, key in enumerate(keys):  # titles run against the ids: the lowest id has the last title
        repo.put(agency, key, f"judul {9 - rank}", "isi", "u", AT)
    assert [t.title for t in repo.list(agency, limit=3)] == ["judul 7", "judul 8", "judul 9"]
    assert [t.title for t in repo.list(agency)] == [f"judul {n}" for n in range(4, 10)]
    assert repo.list(agency, limit=0) == []


def test_delete_removes_a_template_once(repo):
    agency = new_agency()
    template, _ = repo.put(agency, "form-1", "A", "a", "u", AT)
    kept, _ = repo.put(agency, "form-2", "B", "b", "u", AT)
    assert repo.delete(agency, template.template_id) is True
    assert repo.delete(agency, template.template_id) is False
    assert repo.get(agency, template.template_id) is None
    assert [t.template_id for t in repo.list(agency)] == [kept.template_id]
    assert repo.delete(agency, "0123456789abcdef") is False
    assert repo.delete(new_agency(), kept.template_id) is False  # another agency's id is not found here


def test_a_deleted_templates_form_key_adds_it_again(repo):
    agency = new_agency()
    first, _ = repo.put(agency, "form-1", "Lama", "a", "u", AT)
    repo.delete(agency, first.template_id)
    again, created = repo.put(agency, "form-1", "Baru", "b", "u", AT)
    assert created is True and again.template_id == first.template_id and again.title == "Baru"

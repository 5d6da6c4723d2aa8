"""Officer workflow over the real store (moto): what officers observe, and what is stored."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from chalicelib.domain.case import Action, Reporter, Status
from chalicelib.domain.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    NotPermitted,
    ValidationFailed,
    VersionConflict,
)
from chalicelib.domain.lifecycle import ActionRequest, apply_action
from chalicelib.services import workflow


def entry(ctx, actor, text="Jalan berlubang di Jl. Dhoho depan toko, bahaya buat motor", **fields):
    return workflow.create_case_from_entry(
        ctx,
        actor,
        channel=fields.pop("channel", "telepon"),
        description=text,
        idempotency_key=fields.pop("key", str(uuid.uuid4())),
        reporter=fields.pop("reporter", Reporter(name="Budi", phone="+6281234567890")),
        **fields,
    )


def test_an_officer_records_a_phone_complaint_and_gets_a_tracking_number(ctx, admin):
    case = entry(ctx, admin)
    assert case.case_id.startswith("KDR-2611-")
    stored = ctx.cases.get(case.case_id)
    assert stored == case
    assert stored.status is Status.BARU
    assert stored.reporter.phone == "+6281234567890"


def test_a_retried_submission_returns_the_same_case(ctx, admin):
    first = entry(ctx, admin, key="form-123")
    again = entry(ctx, admin, key="form-123")
    assert again.case_id == first.case_id
    assert again.version == first.version == 1


def test_only_phone_and_walk_in_are_officer_entry_channels(ctx, admin):
    with pytest.raises(ValidationFailed):
        entry(ctx, admin, channel="line")


def test_leadership_cannot_enter_cases(ctx, leadership):
    with pytest.raises(NotPermitted):
        entry(ctx, leadership)


def test_forward_by_category_routes_to_the_category_opd(ctx, admin):
    case = entry(ctx, admin)
    category = next(c for c in ctx.categories.values() if c.agency_id == "dpupr")
    forwarded = workflow.forward_case(ctx, admin, case.case_id, case.version, category_id=category.category_id)
    assert forwarded.lead_agency == "dpupr"
    assert forwarded.category_id == category.category_id
    assert ctx.cases.get(case.case_id).status is Status.TERVERIFIKASI


def test_forward_to_an_unknown_agency_is_refused_and_nothing_changes(ctx, admin):
    case = entry(ctx, admin)
    with pytest.raises(ValidationFailed):
        workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dinas-fiktif")
    assert ctx.cases.get(case.case_id).version == 1


def test_the_whole_path_to_selesai(ctx, admin, dpupr_officer, dpupr_supervisor, clock):
    case = entry(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr",
                                 supporting_agencies=("dlhkp",), note="Mohon segera ditangani.")
    case = workflow.assign_case(ctx, dpupr_supervisor, case.case_id, case.version, officer="petugas.dpupr")
    clock.advance(days=1)
    case = workflow.record_follow_up(ctx, dpupr_officer, case.case_id, case.version,
                                     note="Lubang sudah ditambal dengan aspal dingin.")
    clock.advance(days=1)
    with pytest.raises(NotPermitted):  # the citizen's 10-working-day reply window is still open
        workflow.close_case(ctx, dpupr_officer, case.case_id, case.version, note="Sudah ditambal.")
    clock.advance(days=15)  # the window has ended (and the auto-close has not run yet)
    case = workflow.close_case(ctx, dpupr_officer, case.case_id, case.version, note="Sudah ditambal.")
    stored = ctx.cases.get(case.case_id)
    assert stored.status is Status.SELESAI
    assert stored.closed_at == clock()
    assert stored.assigned_officer == "petugas.dpupr"
    assert [e.action.value for e in stored.timeline] == [
        "buat", "verifikasi_disposisi", "tugaskan", "tindak_lanjut", "selesaikan",
    ]
    assert stored.version == 5


def test_an_officer_of_another_agency_does_not_even_see_the_case(ctx, admin, dlhkp_officer):
    case = entry(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr")
    with pytest.raises(NotFound):
        workflow.load_case(ctx, dlhkp_officer, case.case_id)
    with pytest.raises(NotFound):
        workflow.record_follow_up(ctx, dlhkp_officer, case.case_id, case.version, note="x")


def test_two_officers_act_at_once_one_wins_the_other_gets_a_conflict(ctx, admin, dpupr_officer):
    case = entry(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr")
    seen = case.version
    workflow.record_follow_up(ctx, dpupr_officer, case.case_id, seen, note="Tim sudah ke lokasi.")
    with pytest.raises(VersionConflict) as raised:
        workflow.hold_case(ctx, admin, case.case_id, seen, note="Perlu foto.", until="2026-11-30")
    assert raised.value.code == "version_conflict"
    stored = ctx.cases.get(case.case_id)
    assert stored.status is Status.DITINDAKLANJUTI
    assert stored.timeline[-1].note == "Tim sudah ke lokasi."


def test_a_race_between_read_and_write_is_caught_by_the_conditional_write(ctx, admin, dpupr_officer):
    case = entry(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr")
    stale = ctx.cases.get(case.case_id)
    workflow.record_follow_up(ctx, dpupr_officer, case.case_id, None, note="Sudah ditangani.")
    hold = ActionRequest(Action.HOLD, note="x", hold_until=date(2026, 11, 30))
    late = apply_action(stale, hold, admin, ctx.now(), ctx.calendar, ctx.policy)
    with pytest.raises(VersionConflict):
        ctx.cases.save(late)
    assert ctx.cases.get(case.case_id).status is Status.DITINDAKLANJUTI


def test_wrong_state_is_refused_with_a_clear_error(ctx, admin):
    case = entry(ctx, admin)
    with pytest.raises(InvalidTransition) as raised:
        workflow.close_case(ctx, admin, case.case_id, case.version)
    assert "Belum terverifikasi" in raised.value.message
    assert ctx.cases.get(case.case_id).version == 1


def test_hold_and_resume(ctx, admin, dpupr_officer, clock):
    case = entry(ctx, admin)
    with pytest.raises(ValidationFailed) as bad:
        workflow.hold_case(ctx, admin, case.case_id, case.version, note="Mohon kirim alamat.", until="30-11-2026")
    assert bad.value.details["field"] == "until"
    case = workflow.hold_case(ctx, admin, case.case_id, case.version, note="Mohon kirim alamat lengkap.",
                              until="2026-11-30")
    assert ctx.cases.get(case.case_id).status is Status.DITUNDA
    clock.advance(days=3)
    case = workflow.resume_case(ctx, admin, case.case_id, case.version, note="Alamat sudah dikirim.")
    assert case.status is Status.BARU
    assert case.deadline.due_at > clock()


def test_reject_archive_return(ctx, admin, dpupr_officer):
    rejected = entry(ctx, admin)
    rejected = workflow.reject_case(ctx, admin, rejected.case_id, 1, note="Kewenangan pemerintah provinsi.")
    assert rejected.status is Status.BUKAN_WEWENANG
    archived = workflow.archive_case(ctx, admin, entry(ctx, admin).case_id, 1, note="Iklan / spam.")
    assert archived.status is Status.DIARSIPKAN
    case = entry(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")
    returned = workflow.return_case(ctx, dpupr_officer, case.case_id, case.version, note="Jalan nasional.")
    assert returned.status is Status.BARU and returned.lead_agency is None
    with pytest.raises(NotFound):  # no longer DPUPR's case
        workflow.load_case(ctx, dpupr_officer, case.case_id)


def test_merge_a_duplicate_into_an_open_case(ctx, admin):
    original = entry(ctx, admin)
    duplicate = entry(ctx, admin)
    with pytest.raises(ValidationFailed) as no_note:
        workflow.merge_case(ctx, admin, duplicate.case_id, 1, into=original.case_id)
    assert no_note.value.details["field"] == "note"
    merged = workflow.merge_case(ctx, admin, duplicate.case_id, 1, into=original.case_id.lower(), note="Ganda.")
    assert merged.status is Status.DIGABUNG
    assert merged.merged_into == original.case_id
    target = ctx.cases.get(original.case_id)
    assert target.version == 2 and target.status is Status.BARU
    assert [(e.action, e.merged_from) for e in target.timeline][-1] == (Action.MERGED_IN, duplicate.case_id)
    again = workflow.merge_case(ctx, admin, duplicate.case_id, 1, into=original.case_id, note="Ganda.")  # a retry
    assert again.version == merged.version and ctx.cases.get(original.case_id).version == 2
    closed = workflow.archive_case(ctx, admin, entry(ctx, admin).case_id, 1, note="spam")
    with pytest.raises(ValidationFailed):
        workflow.merge_case(ctx, admin, entry(ctx, admin).case_id, 1, into=closed.case_id, note="Ganda.")


def test_a_merge_retried_after_the_first_write_completes_the_target_once(ctx, admin):
    original = entry(ctx, admin)
    duplicate = entry(ctx, admin)
    # the source's write landed, the target's did not (the function died in between)
    request = ActionRequest(Action.MERGE, note="Ganda.", merge_into=original.case_id)
    ctx.cases.save(apply_action(duplicate, request, admin, ctx.now(), ctx.calendar, ctx.policy))
    assert ctx.cases.get(original.case_id).version == 1
    workflow.merge_case(ctx, admin, duplicate.case_id, 1, into=original.case_id, note="Ganda.")
    workflow.merge_case(ctx, admin, duplicate.case_id, 1, into=original.case_id, note="Ganda.")
    target = ctx.cases.get(original.case_id)
    assert [e.merged_from for e in target.timeline if e.action is Action.MERGED_IN] == [duplicate.case_id]


def test_a_followed_up_duplicate_merges_and_its_reporter_hears_the_surviving_number(ctx, admin, dpupr_officer):
    from chalicelib.services.notify import citizen_update_text

    original = workflow.forward_case(ctx, admin, entry(ctx, admin).case_id, 1, lead_agency="dpupr")
    duplicate = workflow.forward_case(ctx, admin, entry(ctx, admin).case_id, 1, lead_agency="dpupr")
    duplicate = workflow.record_follow_up(ctx, dpupr_officer, duplicate.case_id, duplicate.version, note="Dicek.")
    merged = workflow.merge_case(ctx, admin, duplicate.case_id, duplicate.version, into=original.case_id,
                                 note="Lokasi sama.")
    assert merged.status is Status.DIGABUNG
    assert original.case_id in citizen_update_text(ctx, merged, merged.timeline[-1])


def test_an_opd_cannot_tell_an_unknown_merge_target_from_an_invisible_one(ctx, admin, dpupr_officer):
    own = workflow.forward_case(ctx, admin, entry(ctx, admin).case_id, 1, lead_agency="dpupr")
    other = workflow.forward_case(ctx, admin, entry(ctx, admin).case_id, 1, lead_agency="dlhkp")
    answers = []
    for target in (other.case_id, "KDR-2611-ZZZZZZZ"):
        with pytest.raises(DomainError) as raised:
            workflow.merge_case(ctx, dpupr_officer, own.case_id, own.version, into=target, note="Ganda.")
        answers.append((type(raised.value), raised.value.code, raised.value.message, raised.value.details))
    assert answers[0] == answers[1]
    assert ctx.cases.get(own.case_id).status is Status.TERVERIFIKASI


def test_the_admin_reopens_a_closed_case_with_a_reason_and_the_count_is_kept(ctx, admin, dpupr_officer):
    from chalicelib.domain.figures import case_counters

    case = workflow.forward_case(ctx, admin, entry(ctx, admin).case_id, 1, lead_agency="dpupr")
    case = workflow.reject_case(ctx, admin, case.case_id, case.version, note="Kewenangan provinsi.")
    with pytest.raises(NotPermitted):
        workflow.reopen_case(ctx, dpupr_officer, case.case_id, case.version, note="Ini wewenang kami.")
    with pytest.raises(ValidationFailed):
        workflow.reopen_case(ctx, admin, case.case_id, case.version)
    case = workflow.reopen_case(ctx, admin, case.case_id, case.version, note="Ternyata jalan kota.")
    assert case.status is Status.TERVERIFIKASI and case.lead_agency == "dpupr" and case.closed_at is None
    assert case.deadline.due_at > ctx.now()
    assert ctx.cases.get(case.case_id).reopen_count == 1
    assert case_counters(case, ctx.calendar, ctx.policy)["ro"] == 1  # the figures count it as reopened


def test_reopen_after_a_citizen_reply(ctx, admin, dpupr_officer):
    case = entry(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")
    case = workflow.record_follow_up(ctx, dpupr_officer, case.case_id, case.version, note="Sudah.")
    case = workflow.reopen_case(ctx, admin, case.case_id, case.version, note="Warga: belum diperbaiki.")
    assert case.status is Status.TERVERIFIKASI


def test_agency_work_list_shows_the_forwarded_case(ctx, admin):
    case = entry(ctx, admin, text="Saluran air tersumbat di Jl. Brawijaya")
    workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")
    listed, cursor = [], None
    for _ in range(20):  # every page: the shared tables hold other tests' newer cases
        page = ctx.cases.list_by_agency_status("dpupr", Status.TERVERIFIKASI, limit=100, cursor=cursor)
        listed += [item.case_id for item in page.items]
        cursor = page.cursor
        if not cursor:
            break
    assert case.case_id in listed
    queue = ctx.cases.list_by_status(Status.BARU, limit=100)
    assert case.case_id not in [item.case_id for item in queue.items]

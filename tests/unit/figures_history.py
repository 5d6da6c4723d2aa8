"""The machinery of `test_figures_exact.py`: a randomised case history driven through the real workflow, and
the faults a sync meets in production injected through a proxy of the figures repository.

Faults: a stream record delivered twice, a stale record delivered after a newer one, a second worker syncing
in the middle of a first one's writes, a worker killed at its k-th write (before or after the write landed),
and a worker paused past its lease while another takes its change over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import event as _event
from hypothesis import note as _note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Action, Actor, Case, Channel, Role, Status
from chalicelib.domain.errors import DomainError
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.domain.sla import DeadlineKind
from chalicelib.services import workflow
from chalicelib.services.context import Context
from chalicelib.services.figures import TAKEOVER_AFTER
from chalicelib.services.sync import sync_case

ADMIN = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
CITIZEN = Actor.citizen("tel:+6281300007777")
AUTO_CLOSE = Actor.system("auto_close")
LEADS = ("dpupr", "dlhkp", "dishub", "perkim")
CATEGORIES = (None, "jalan-jembatan", "kebersihan", "penerangan-jalan", "pungli", "perizinan")
TIERS = (None, "ringan", "normatif", "tidak_berkadar_pengawasan")
PAST_TAKEOVER = TAKEOVER_AFTER + timedelta(seconds=1)

# Months of receipt for this module: years 2050-2099, every other month, so that an ISO week straddling a
# month's end holds no other example's cases and nothing else in the suite counts in them.
_MONTHS = itertools.count()


def event(what: str) -> None:
    """Hypothesis statistics (`--hypothesis-show-statistics`); nothing in the example-based tests."""
    with contextlib.suppress(InvalidArgument):
        _event(what)


def note(what: str) -> None:
    """A line of the story a failing example prints (the history is long: it is told, not shrunk)."""
    with contextlib.suppress(InvalidArgument):
        _note(what)


def fresh_month() -> date:
    n = next(_MONTHS) * 2
    first = date(2050 + n // 12, 1 + n % 12, 1)
    assert first.year <= 2099, "out of months for this module: fewer examples, or a wider range"
    return first


def at_wib(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WIB).astimezone(UTC)


def wib_date(moment: datetime) -> date:
    return moment.astimezone(WIB).date()


def opd(agency: str | None) -> Actor:
    return Actor(f"officer:petugas.{agency}", Role.OPD, agency)


def scopes_of(case: Case) -> frozenset[str]:
    """The scopes a case counts in, spelled out from the key format (not from the implementation)."""
    return frozenset({
        "city",
        f"agency:{case.lead_agency or '-'}",
        f"category:{case.category_id or '-'}",
        f"channel:{case.channel.value}",
    })


def new_case(ctx: Context, channel: Channel, text: str = "Jalan berlubang di Jl. Dhoho") -> Case:
    return workflow.open_case(ctx, CITIZEN if channel not in (Channel.PHONE, Channel.LETTER) else ADMIN,
                              channel=channel, description=text, source_key=f"figures-exact:{uuid.uuid4()}")


# ------------------------------------------------------------------------------------------- faults


class InjectedCrash(RuntimeError):
    """The worker died here (a Lambda killed or timed out mid-sync)."""


@dataclass(frozen=True)
class Fault:
    kind: str  # crash_before | crash_after | concurrent | pause
    at: int  # the write (any kind, 1-based) it strikes at
    partner: str = "same"  # concurrent: the second worker syncs the same case (latest), another case, or a stale one


class FaultyFigures:
    """The real FigureRepository, with one fault at its `fault.at`-th write (reads pass straight through), and
    a check that no change ever moves a case's figures back to an older version.

    crash_before / crash_after: raise before the write is sent, or after it landed (the answer was lost);
    concurrent: before the write, a second worker runs a whole `sync_case` (a real interleaving);
    pause: after the write, the clock jumps past TAKEOVER_AFTER and a second worker syncs the same case (it
    takes the change over), then this worker carries on, as one frozen by a long GC pause would.
    """

    def __init__(self, real, fault: Fault | None, second_worker: Callable[[Fault], None]) -> None:
        self._real = real
        self._fault = fault
        self._second_worker = second_worker
        self.writes = 0

    def __getattr__(self, name: str):
        return getattr(self._real, name)

    def _write(self, method: str, *args):
        self.writes += 1
        strike = self._fault is not None and self.writes == self._fault.at
        kind = self._fault.kind if self._fault is not None else None
        if strike:
            event(f"fault {kind} at {method}")
            if kind == "crash_before":
                raise InjectedCrash(method)
            if kind == "concurrent":
                self._second_worker(self._fault)
        result = getattr(self._real, method)(*args)
        if strike and kind == "crash_after":
            raise InjectedCrash(method)
        if strike and kind == "pause":
            self._second_worker(self._fault)
        return result

    def start_change(self, case_id, change, *args):
        assert change.after.version > change.before.version, f"{case_id}: figures moved back by {change.token}"
        return self._write("start_change", case_id, change, *args)

    def take_over(self, *args):
        return self._write("take_over", *args)

    def add_to_item(self, *args):
        return self._write("add_to_item", *args)

    def commit_change(self, *args):
        return self._write("commit_change", *args)

    def forget_token(self, *args):
        return self._write("forget_token", *args)

    def finish_change(self, *args):
        return self._write("finish_change", *args)


FAULTS = st.builds(
    Fault,
    kind=st.sampled_from(["crash_before", "crash_after", "concurrent", "pause"]),
    at=st.integers(1, 30),
    partner=st.sampled_from(["same", "other", "stale"]),
)


# ------------------------------------------------------------------------------------------- the history


@dataclass
class History:
    """A handful of cases received in one month, acted on through the workflow while the frozen clock runs,
    each version delivered to the sync like the stream would (or not, or twice, or late, or with a fault)."""

    ctx: Context
    clock: object  # FrozenClock
    month: date  # its first day
    draw: Callable = field(repr=False)  # hypothesis `data.draw`
    cases: dict[str, Case] = field(default_factory=dict)  # the latest version of each case
    versions: list[Case] = field(default_factory=list)  # every version seen, for stale deliveries
    scopes: set[str] = field(default_factory=set)  # every scope any version counted in

    # -------------------------------------------------------------- time

    def now(self) -> datetime:
        return self.ctx.now()

    def time_passes(self) -> None:
        hours = self.draw(st.one_of(st.integers(0, 8), st.integers(9, 24 * 9)), label="hours pass")
        self.clock.advance(hours=hours, minutes=hours % 7 * 5)

    def in_month(self) -> bool:
        """Complaints arrive in the first 28 days (every month has them, so a replayed example, which runs
        in another month, makes the same choices)."""
        return wib_date(self.now()) < self.month + timedelta(days=28)

    # -------------------------------------------------------------- acting

    def create(self) -> Case:
        channel = self.draw(st.sampled_from(list(Channel)), label="channel")
        case = new_case(self.ctx, channel)
        note(f"{self.now():%Y-%m-%d %H:%M} UTC  {case.case_id} v1: received by {channel.value}")
        self._seen(case)
        return case

    def step(self, max_cases: int) -> list[Case]:
        """One thing happens: a complaint arrives, or someone acts on a case; returns the versions written."""
        may_create = self.in_month() and len(self.cases) < max_cases
        if not self.cases or (may_create and self.draw(st.integers(0, 3), label="create?") == 0):
            if may_create:
                return [self.create()]
            return []
        case_id = self.draw(st.sampled_from(list(self.cases)), label="case")  # in order of receipt
        case = self.cases[case_id]
        move = self.draw(st.sampled_from(MOVES[case.status]), label="move")
        try:
            changed = getattr(self, f"_{move}")(case)
        except DomainError as refused:  # a refused action changes nothing (and is a legitimate history)
            event(f"refused {move}: {type(refused).__name__}")
            return []
        if not changed:
            return []
        event(f"{move} -> {changed[0].status.value}")
        note(f"{self.now():%Y-%m-%d %H:%M} UTC  {case_id} v{changed[0].version}: {move} -> {changed[0].status.value}")
        for written in changed:
            self._seen(written)
        return changed

    def _seen(self, case: Case) -> None:
        latest = self.cases.get(case.case_id)
        if latest is None or latest.version < case.version:
            self.cases[case.case_id] = case
        self.versions.append(case)
        self.scopes |= scopes_of(case)

    def _lead(self) -> str:
        return self.draw(st.sampled_from(LEADS), label="lead")

    def _forward(self, case: Case) -> list[Case]:
        lead = self.draw(st.sampled_from((None, *LEADS)), label="lead")
        category = self.draw(st.sampled_from(CATEGORIES), label="category")
        if lead is None and category is None:
            lead = "dpupr"
        supporting = self.draw(st.sampled_from([(), ("dinkes",)]), label="supporting")
        tier = self.draw(st.sampled_from(TIERS), label="tier")
        return [workflow.forward_case(self.ctx, ADMIN, case.case_id, case.version, lead_agency=lead,
                                      supporting_agencies=supporting, category_id=category, tier=tier)]

    def _hold(self, case: Case) -> list[Case]:
        actor = ADMIN if case.status is Status.BARU or self.draw(st.booleans(), label="admin holds") \
            else opd(case.lead_agency)
        until = wib_date(self.now()) + timedelta(days=self.draw(st.integers(0, 9), label="hold days"))
        return [workflow.hold_case(self.ctx, actor, case.case_id, case.version, note="Mohon foto lokasi.",
                                   until=until)]

    def _resume(self, case: Case) -> list[Case]:
        actor = opd(case.lead_agency) if case.lead_agency and self.draw(st.booleans(), label="opd resumes") \
            else ADMIN
        return [workflow.resume_case(self.ctx, actor, case.case_id, case.version, note="Foto diterima.")]

    def _reject(self, case: Case) -> list[Case]:
        return [workflow.reject_case(self.ctx, ADMIN, case.case_id, case.version, note="Wewenang provinsi.")]

    def _archive(self, case: Case) -> list[Case]:
        return [workflow.archive_case(self.ctx, ADMIN, case.case_id, case.version, note="Spam.")]

    def _merge(self, case: Case) -> list[Case]:
        targets = [i for i, c in self.cases.items() if c.is_open and i != case.case_id]
        if not targets:
            return []
        target = self.draw(st.sampled_from(targets), label="merge into")
        merged = workflow.merge_case(self.ctx, ADMIN, case.case_id, case.version, into=target, note="Duplikat.")
        survivor = self.ctx.cases.get(target)
        assert survivor is not None
        return [merged, survivor]  # the survivor has a new version too (its MERGED_IN event)

    def _follow_up(self, case: Case) -> list[Case]:
        return [workflow.record_follow_up(self.ctx, opd(case.lead_agency), case.case_id, case.version,
                                          note="Sudah ditambal.")]

    def _return(self, case: Case) -> list[Case]:
        return [workflow.return_case(self.ctx, opd(case.lead_agency), case.case_id, case.version,
                                     note="Bukan urusan kami.")]

    def _withdraw(self, case: Case) -> list[Case]:
        return [workflow.withdraw_case(self.ctx, ADMIN, case.case_id, case.version, note="Verifikasi ulang.")]

    def _redispose(self, case: Case) -> list[Case]:
        lead = self.draw(st.sampled_from([a for a in LEADS if a != case.lead_agency]), label="new lead")
        category = self.draw(st.sampled_from(CATEGORIES), label="new category")
        return [workflow.redispose_case(self.ctx, ADMIN, case.case_id, case.version, lead_agency=lead,
                                        category_id=category, note="Pindah OPD.")]

    def _redispose_support(self, case: Case) -> list[Case]:
        supporting = () if case.supporting_agencies else ("dinkes",)
        return [workflow.redispose_case(self.ctx, ADMIN, case.case_id, case.version, lead_agency=case.lead_agency,
                                        supporting_agencies=supporting, note="OPD pendukung diubah.")]

    def _citizen(self, case: Case, request: ActionRequest, actor: Actor = CITIZEN) -> list[Case]:
        return [workflow.decide_and_save(self.ctx, actor, case, case.version, request)]

    def _confirm(self, case: Case) -> list[Case]:
        return self._citizen(case, ActionRequest(Action.CONFIRM))

    def _dispute(self, case: Case) -> list[Case]:
        return self._citizen(case, ActionRequest(Action.REOPEN, note="Belum beres, masih berlubang."))

    def _respond(self, case: Case) -> list[Case]:
        return self._citizen(case, ActionRequest(Action.RESPOND, note="Terima kasih, akan saya cek."))

    def _rate(self, case: Case) -> list[Case]:
        rating = self.draw(st.integers(1, 5), label="rating")
        return self._citizen(case, ActionRequest(Action.RATE, rating=rating))

    def _close(self, case: Case) -> list[Case]:
        return [workflow.close_case(self.ctx, ADMIN, case.case_id, case.version, note="Sudah diperbaiki.")]

    def _auto_close(self, case: Case) -> list[Case]:
        """What the auto-close job does to this case once the citizen stayed silent (only this case: the job
        itself would close every other test's cases in the shared tables)."""
        deadline = case.deadline
        if deadline is None or deadline.kind is not DeadlineKind.TUTUP_OTOMATIS:
            return []
        # a month later whatever the calendar, so the clock (and what happens next) does not depend on it
        self.clock.set(max(self.now() + timedelta(days=30), deadline.due_at + timedelta(minutes=1)))
        request = ActionRequest(Action.AUTO_CLOSE, note="Ditutup otomatis: tidak ada tanggapan pelapor.")
        return self._citizen(case, request, AUTO_CLOSE)

    def _reopen(self, case: Case) -> list[Case]:
        return [workflow.reopen_case(self.ctx, ADMIN, case.case_id, case.version, note="Keputusan dikoreksi.")]

    # -------------------------------------------------------------- delivering

    def deliver(self, written: list[Case]) -> None:
        """The stream's records of the versions just written, then perhaps a stale one from earlier."""
        for case in written:
            mode = self.draw(st.sampled_from(["once", "once", "missed", "twice", "fault", "fault"]),
                             label="delivery")
            event(f"delivery {mode}")
            if mode == "missed":
                continue  # the scheduled job catches it
            if mode == "fault":
                self.sync(case, self.draw(FAULTS, label="fault"))
                continue
            self.sync(case)
            if mode == "twice":
                self.sync(case)  # redelivery of the same record
        if self.versions and self.draw(st.integers(0, 2), label="stale?") == 0:
            stale = self.versions[self.draw(st.integers(0, len(self.versions) - 1), label="stale record")]
            event("stale record delivered")
            self.sync(stale)

    def sync(self, case: Case, fault: Fault | None = None) -> bool | None:
        """One worker's sync of `case`; None when it crashed."""
        worker = self.worker(fault, case)
        try:
            outcome = sync_case(worker, case)
        except InjectedCrash as crash:
            outcome = None
            note(f"    sync {case.case_id} v{case.version} with {fault}: crashed at {crash}")
        else:
            note(f"    sync {case.case_id} v{case.version}{f' with {fault}' if fault else ''}: {outcome}")
        return outcome

    def worker(self, fault: Fault | None = None, case: Case | None = None) -> Context:
        """A worker's context: the figures behind a proxy that checks every change and injects `fault`."""
        proxy = FaultyFigures(self.ctx.figures, fault, lambda f: self._second_worker(f, case))
        return dataclasses.replace(self.ctx, figures=proxy)

    def _second_worker(self, fault: Fault, case: Case | None) -> None:
        assert case is not None
        if fault.kind == "pause":
            self.clock.advance(seconds=PAST_TAKEOVER.total_seconds())
            partner = self.ctx.cases.get(case.case_id)
        elif fault.partner == "other" and len(self.cases) > 1:
            others = [i for i in self.cases if i != case.case_id]
            partner = self.ctx.cases.get(others[fault.at % len(others)])
        elif fault.partner == "stale":
            older = [v for v in self.versions if v.case_id == case.case_id and v.version < case.version]
            partner = older[fault.at % len(older)] if older else case
        else:
            partner = self.ctx.cases.get(case.case_id)
        assert partner is not None
        note(f"      second worker syncs {partner.case_id} v{partner.version}: {sync_case(self.worker(), partner)}")

    def quiesce(self, rounds: int = 8) -> int:
        """The scheduled job, run until every case's figures and flag are settled; returns the rounds it took."""
        from chalicelib.services.sync import sync_pending_cases

        for n in range(1, rounds + 1):
            self.clock.advance(seconds=PAST_TAKEOVER.total_seconds())  # any abandoned change may be taken over
            sync_pending_cases(self.worker(), limit=1000)
            for case_id in self.cases:
                latest = self.ctx.cases.get(case_id)
                assert latest is not None
                self.cases[case_id] = latest
                sync_case(self.worker(), latest)
            pending = {case_id for case_id, _ in self.ctx.cases.ids_pending_sync(1000)}
            if not pending & set(self.cases):
                return n
        raise AssertionError(f"cases still pending after {rounds} runs of the sync job")


# What may happen to a case in each state (each move picks its actor; refusals are part of the history).
MOVES: dict[Status, tuple[str, ...]] = {
    Status.BARU: ("forward", "forward", "forward", "hold", "reject", "archive", "merge"),
    Status.TERVERIFIKASI: ("follow_up", "follow_up", "follow_up", "hold", "return", "withdraw", "redispose",
                           "redispose_support", "reject", "merge"),
    Status.DITINDAKLANJUTI: ("confirm", "confirm", "close", "close", "auto_close", "dispute", "dispute",
                             "follow_up", "respond", "withdraw", "redispose", "merge"),
    Status.DITUNDA: ("resume", "resume", "resume", "archive", "merge"),
    Status.SELESAI: ("rate", "rate", "rate", "reopen"),
    Status.BUKAN_WEWENANG: ("reopen",),
    Status.DIARSIPKAN: ("reopen",),
    Status.DIGABUNG: ("reopen",),
}

"""UU PDP (27/2022) duties: a person's data export, erasure on request, and retention of closed cases.

- Export (art. 7, art. 32: access and a copy within 3 x 24 hours of the request): everything held about one
  phone number, e-mail address or channel user id — their cases (every field, the whole timeline), messages,
  media, inbound deliveries and the messages sent to them — as one JSON document (or a ZIP with the files).
- Erasure (art. 8, art. 43): the person's identity, texts and files are removed from their *closed* cases;
  status, dates, category, agency, rating and the timeline's steps stay, so the dashboard figures do not move.
  Open cases are refused: the city still has to answer the complaint (close or archive it first).
- Retention (art. 42, art. 44): closed cases older than `retention_days()` are anonymised the same way by a
  daily job, in bounded batches, resumable from a checkpoint.

Cases are found through the reporter index (exports, erasures) and the status index (retention), never a Scan.
Every export and erasure is written to the durable audit trail with who, whose (a keyed pseudonym), when and
the stated reason; the person's identifier itself is never stored there.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.case import Actor, Case, Channel, Reporter, Role, Status, TimelineEvent
from chalicelib.domain.errors import InvalidTransition, NotPermitted, ValidationFailed, VersionConflict
from chalicelib.observability import logger, pseudonym
from chalicelib.services.context import Context

ACCESS_DEADLINE = timedelta(hours=72)  # UU PDP art. 32(2): 3 x 24 hours from receipt of the request
MAX_CASES = 500  # one person's cases read per request (far above any real citizen's)
MAX_INLINE_FILE_BYTES = 4 * 1024 * 1024  # files embedded in a JSON export (a Lambda answer is at most 6 MB)
MAX_ZIP_BYTES = 50 * 1024 * 1024
ANONYMISED_TEXT = "[Data pribadi dihapus]"
ANONYMISED_MESSAGE = "[Pesan dihapus untuk pelindungan data pribadi]"
REDACTED = "[dihapus]"
ANONYMOUS_ACTOR = "citizen:anonim"
ANON_PREFIX = "anon-"
AUDIT_KIND = "privacy"
CLOSED_STATUSES = tuple(s for s in Status if not s.is_open)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def retention_days(ctx: Context) -> int:
    """Days a closed case keeps its personal data (`ADUAN_RETENTION_DAYS`, default 730, at least 30)."""
    return ctx.settings.retention_days


# ---------------------------------------------------------------- the person


@dataclass(frozen=True)
class Subject:
    """The person a request is about, as the reporter index knows them."""

    key: str  # "tel:+62…" | "mail:…" | "uid:<channel>:<id>"
    kind: str  # phone | email | uid

    @property
    def pseudonym(self) -> str:
        """What the audit trail and the logs say instead of the identifier."""
        return pseudonym(self.key)


def parse_identifier(raw: object) -> Subject:
    """A phone number (any Indonesian form), an e-mail address, or a reporter key (`tel:…`, `mail:…`,
    `uid:line:U…`) as the reporter index stores it."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed("Isi nomor telepon, alamat e-mail, atau kunci pelapor.", field="identifier")
    text = raw.strip()
    if len(text) > 320:
        raise ValidationFailed("Pengenal terlalu panjang.", field="identifier")
    lowered = text.lower()
    if lowered.startswith("uid:"):
        if len(text) < 8 or ":" not in text[4:]:
            raise ValidationFailed("Kunci pelapor tidak valid (contoh: uid:line:U…).", field="identifier")
        return Subject(key="uid:" + text[4:], kind="uid")
    if lowered.startswith("mail:"):
        text = text[5:]
        lowered = text.lower()
    if "@" in text:
        if not _EMAIL.match(text):
            raise ValidationFailed("Alamat e-mail tidak valid.", field="identifier")
        return Subject(key=f"mail:{lowered}", kind="email")
    from chalicelib.domain.phone import normalize_phone

    try:
        phone = normalize_phone(text)
    except ValidationFailed:
        raise ValidationFailed("Nomor telepon tidak valid.", field="identifier") from None
    return Subject(key=f"tel:{phone}", kind="phone")


def _require_admin(actor: Actor) -> str:
    if actor.role is not Role.ADMIN:
        raise NotPermitted("Permintaan data pribadi hanya dapat dilayani admin koordinator.")
    return actor.actor_id.removeprefix("officer:")


def _reason(raw: object) -> str:
    if not isinstance(raw, str) or len(raw.strip()) < 10:
        raise ValidationFailed("Tuliskan dasar hukum atau alasan permintaan (minimal 10 karakter), misalnya "
                               "nomor surat permohonan pelapor.", field="reason")
    if len(raw) > 500:
        raise ValidationFailed("Alasan paling panjang 500 karakter.", field="reason")
    return " ".join(raw.split())


def _reason_about(raw: object, subject: Subject) -> str:
    """The stated reason, without the identifier itself (the audit trail names the person by pseudonym)."""
    value = subject.key.split(":", 1)[1]
    forms = {value, value.lstrip("+"), "0" + value[3:] if value.startswith("+62") else value}
    return scrub(_reason(raw), sorted(forms, key=len, reverse=True)) or ""


def _cases_of(ctx: Context, subject: Subject) -> list[Case]:
    """The person's cases through the reporter index (newest first), then the items themselves."""
    ids = ctx.cases.list_by_reporter(subject.key, limit=MAX_CASES)
    found = ctx.cases.get_many(ids) if ids else {}
    return sorted(found.values(), key=lambda c: c.received_at)


# ---------------------------------------------------------------- export


def _outbox_ids(case: Case, message_ids: Iterable[tuple[str, str]]) -> list[str]:
    """The deterministic ids of every message the city queued to the reporter of this case: status updates
    (`update:<case>:<step>`), acknowledgements of their messages (`reply:<event key>`) and officers' replies
    (`<case>:reply:<key>`), each with its SMS fallback."""
    ids = [f"update:{case.case_id}:{event.seq}" for event in case.timeline]
    for direction, message_id in message_ids:
        ids.append(f"reply:{message_id}" if direction == "in" else message_id)
    return ids + [f"{i}#fallback" for i in ids]


def _plain(value: object) -> object:
    """JSON-ready: datetimes as ISO 8601, sets as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _message_id(message_key: str) -> str:
    return message_key.split("#", 1)[1] if "#" in message_key else message_key


@dataclass
class Export:
    document: dict
    files: dict[str, bytes]  # path inside a ZIP -> bytes


def collect_export(ctx: Context, actor: Actor, identifier: object, reason: object, *,
                   media_url: Callable[[str, str], str] | None = None, read_files: bool = False) -> Export:
    """Everything held about one person, and an audit entry saying who asked, about whom (pseudonymised),
    when and why. `media_url(case_id, media_key)` makes a short-lived signed link for each file."""
    username = _require_admin(actor)
    subject = parse_identifier(identifier)
    why = _reason_about(reason, subject)
    from chalicelib.store.media import MediaStore
    from chalicelib.store.privacy import PrivacyRepository

    repo = PrivacyRepository()
    now = ctx.now()
    cases = _cases_of(ctx, subject)
    store = MediaStore(ctx.channels)
    case_items = repo.case_items(c.case_id for c in cases)
    messages: list[dict] = []
    media: list[dict] = []
    files: dict[str, bytes] = {}
    outbox_ids: list[str] = []
    event_keys: list[str] = []
    for case in cases:
        records = repo.message_items(case.case_id)
        outbox_ids += _outbox_ids(case, [(r.direction, _message_id(r.message_key)) for r in records])
        for record in records:
            item = _plain(record.to_simple_dict())
            messages.append(item)
            if record.direction == "in" and not _message_id(record.message_key).startswith(ANON_PREFIX):
                event_keys.append(_message_id(record.message_key))
            if record.media_key:
                entry = {"case_id": case.case_id, "message_key": record.message_key, "media_key": record.media_key,
                         "media_type": record.media_type}
                if media_url is not None:
                    entry["url"] = media_url(case.case_id, record.media_key)
                if read_files:
                    data = store.get(record.media_key)
                    entry["stored"] = data is not None
                    if data is not None:
                        path = f"media/{record.media_key.rsplit('/', 1)[-1]}"
                        entry["file"] = path
                        entry["bytes"] = len(data)
                        files[path] = data
                media.append(entry)
    outbox = [_plain({k: v for k, v in r.to_simple_dict().items() if k not in ("due_shard", "failed_shard")})
              for r in repo.outbox_items(outbox_ids)]
    events = [
        {"event_key": r.event_key, "channel": r.channel, "received_at": r.received_at.isoformat(),
         "state": r.state, "case_id": r.case_id, "payload": _json_or_text(r.payload),
         "expires_at": r.expires_at.isoformat() if r.expires_at else None}
        for r in repo.event_items(event_keys)
    ]
    document = {
        "format": "aduan-data-export/1",
        "generated_at": now.isoformat(),
        "generated_by": username,
        "legal_basis": "UU 27/2022 tentang Pelindungan Data Pribadi, pasal 7 dan pasal 32",
        "reason": why,
        "answer_due_by_note": "Akses diberikan paling lambat 3 x 24 jam sejak permintaan diterima (pasal 32 ayat 2).",
        "subject": {"identifier": subject.key, "kind": subject.kind},
        "counts": {"cases": len(case_items), "messages": len(messages), "media": len(media),
                   "outbox": len(outbox), "inbound_events": len(events)},
        "cases": [_plain(item) for item in case_items],
        "messages": messages,
        "media": media,
        "outbox": outbox,
        "inbound_events": events,
    }
    ctx.audit.record(AUDIT_KIND, username, now, outcome="ekspor", reason=why,
                     detail=f"subjek {subject.pseudonym}; {len(case_items)} kasus, {len(media)} berkas")
    logger.info("privacy export", extra={"subject_ref": subject.pseudonym, "cases": len(case_items)})
    return Export(document=document, files=files)


def export_person(ctx: Context, actor: Actor, identifier: object, reason: object, *,
                  media_url: Callable[[str, str], str] | None = None, include_files: bool = False) -> dict:
    """The JSON export; with `include_files`, files are embedded (base64) up to MAX_INLINE_FILE_BYTES in all,
    the rest only linked."""
    export = collect_export(ctx, actor, identifier, reason, media_url=media_url, read_files=include_files)
    if include_files:
        budget = MAX_INLINE_FILE_BYTES
        for entry in export.document["media"]:
            data = export.files.get(entry.get("file", ""))
            if data is not None and len(data) <= budget:
                entry["content_base64"] = base64.b64encode(data).decode()
                budget -= len(data)
            elif data is not None:
                entry["content_omitted"] = "terlalu besar untuk JSON; unduh ZIP"
    return export.document


def export_zip(ctx: Context, actor: Actor, identifier: object, reason: object, *,
               media_url: Callable[[str, str], str] | None = None) -> bytes:
    """The export as a ZIP: `export.json` and the files under `media/`."""
    export = collect_export(ctx, actor, identifier, reason, media_url=media_url, read_files=True)
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", json.dumps(export.document, ensure_ascii=False, indent=2))
        for path, data in export.files.items():
            total += len(data)
            if total > MAX_ZIP_BYTES:
                raise ValidationFailed("Berkas terlalu besar untuk satu unduhan; gunakan ekspor JSON dengan tautan.")
            archive.writestr(path, data)
    return buffer.getvalue()


def _json_or_text(payload: str | None) -> object:
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return payload


# ---------------------------------------------------------------- erasure


@dataclass
class ErasureReport:
    cases: int = 0
    already: int = 0
    messages: int = 0
    media: int = 0
    outbox: int = 0
    events: int = 0

    def add(self, other: ErasureReport) -> None:
        for name in ("cases", "already", "messages", "media", "outbox", "events"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def is_anonymised(case: Case) -> bool:
    return case.reporter == Reporter() and case.description == ANONYMISED_TEXT


def _secrets_of(reporter: Reporter, extra: Iterable[str] = ()) -> list[str]:
    """The strings that identify the person inside free text (longest first, so a number's longer form wins)."""
    found: set[str] = {s for s in extra if s}
    if reporter.phone:
        found |= {reporter.phone, reporter.phone.lstrip("+"), "0" + reporter.phone[3:]
                  if reporter.phone.startswith("+62") else reporter.phone}
    if reporter.email:
        found.add(reporter.email)
    if reporter.name and len(reporter.name.strip()) >= 3:
        found.add(reporter.name.strip())
    if reporter.channel_user_id:
        found.add(reporter.channel_user_id)
        found.add(reporter.channel_user_id.split(":", 1)[-1])
    return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


def scrub(text: str | None, secrets: list[str]) -> str | None:
    """`text` with each of the person's identifiers replaced (case-insensitive)."""
    if not text:
        return text
    for secret in secrets:
        text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
    return text


def anonymised(case: Case, secrets: list[str]) -> Case:
    """The case without the person: identity, their words (description, title, place, their timeline notes)
    and the idempotency key gone; status, dates, category, agencies, rating and every step kept, so the
    dashboard entry derived from it is unchanged. The version moves on (an officer holding the old version
    gets a conflict instead of writing the identity back)."""
    def event(e: TimelineEvent) -> TimelineEvent:
        if e.actor_role is Role.CITIZEN:
            return dataclasses.replace(e, actor_id=ANONYMOUS_ACTOR, note="")
        return dataclasses.replace(e, note=scrub(e.note, secrets) or "")

    return dataclasses.replace(
        case,
        reporter=Reporter(),
        title="",
        description=ANONYMISED_TEXT,
        location="",
        source_key=pseudonym(case.source_key) if case.source_key else None,
        created_by=ANONYMOUS_ACTOR if (case.created_by or "").startswith("citizen:") else case.created_by,
        timeline=tuple(event(e) for e in case.timeline),
        version=case.version + 1,
    )


def anonymise_case(ctx: Context, case: Case, extra_secrets: Iterable[str] = ()) -> ErasureReport:
    """Remove one closed case's personal data everywhere it is kept. Idempotent; the case item is written
    last, so a crash part-way leaves the case looking untouched and a re-run finishes the job."""
    from chalicelib.store.media import MediaStore
    from chalicelib.store.privacy import PrivacyRepository

    report = ErasureReport()
    if is_anonymised(case):
        report.already = 1
        return report
    repo = PrivacyRepository()
    secrets = _secrets_of(case.reporter, extra_secrets)
    records = repo.message_items(case.case_id)
    ids = [(r.direction, _message_id(r.message_key)) for r in records]
    # 1. messages the city sent them: recipient and body (ids are derived from the messages: do this first)
    for record in repo.outbox_items(_outbox_ids(case, ids)):
        if record.state != "redacted" and repo.redact_outbox(record.message_id, REDACTED, ANONYMISED_MESSAGE):
            report.outbox += 1
    # 2. the raw provider deliveries of their messages
    for direction, message_id in ids:
        if direction == "in" and not message_id.startswith(ANON_PREFIX):
            report.events += int(repo.redact_event(message_id, json.dumps({"redacted": True})))
    # 3. their files, their messages (re-keyed: the key embeds the provider's message id); officers' replies
    store = MediaStore(ctx.channels)
    for record in records:
        message_id = _message_id(record.message_key)
        if record.direction == "in":
            if record.media_key:  # their photo or file (officers' attachments are the city's own record)
                report.media += int(store.delete(record.media_key))
            if not message_id.startswith(ANON_PREFIX):
                new_key = f"{record.sent_at.isoformat()}#{ANON_PREFIX}{pseudonym(message_id)[2:]}"
                repo.replace_message(record, new_key, text=ANONYMISED_MESSAGE)
                report.messages += 1
        elif record.text and scrub(record.text, secrets) != record.text:
            repo.set_message_text(record.case_id, record.message_key, scrub(record.text, secrets))
            report.messages += 1
    if case.reporter.key:
        # the "rate this case" pointer is kept per channel the updates went out on: the case's own or a fallback
        repo.delete_rating_requests(case.reporter.key, [case.channel.value, Channel.SMS.value, Channel.EMAIL.value])
    # 4. the case itself, last (conditional on the version read: a concurrent officer action wins and the
    #    caller runs again)
    ctx.cases.save(anonymised(case, secrets))
    report.cases = 1
    return report


def erase_person(ctx: Context, actor: Actor, identifier: object, reason: object, confirm: object) -> dict:
    """Anonymise every case of one person. All-or-nothing on the precondition: if any of their cases is still
    open, nothing is changed and the open case numbers are named (close or archive them first)."""
    username = _require_admin(actor)
    subject = parse_identifier(identifier)
    why = _reason_about(reason, subject)
    if confirm is not True and confirm not in ("ya", "true", "1"):
        raise ValidationFailed("Penghapusan tidak dapat dibatalkan: centang konfirmasi untuk melanjutkan.",
                               field="confirm")
    now = ctx.now()
    cases = _cases_of(ctx, subject)
    still_open = [c.case_id for c in cases if c.is_open]
    if still_open:
        ctx.audit.record(AUDIT_KIND, username, now, outcome="hapus_ditolak", reason=why,
                         detail=f"subjek {subject.pseudonym}; kasus terbuka: {', '.join(still_open)[:300]}")
        raise InvalidTransition(
            "Data pelapor belum dapat dihapus karena laporannya masih diproses: "
            f"{', '.join(still_open)}. Selesaikan atau arsipkan laporan itu terlebih dahulu.",
            open_cases=", ".join(still_open),
        )
    report = ErasureReport()
    for case in cases:
        report.add(anonymise_case(ctx, case))
    ctx.audit.record(AUDIT_KIND, username, now, outcome="hapus", reason=why,
                     detail=(f"subjek {subject.pseudonym}; {report.cases} kasus dianonimkan, {report.messages} "
                             f"pesan, {report.media} berkas, {report.outbox} pesan keluar"))
    logger.info("privacy erasure", extra={"subject_ref": subject.pseudonym, **dataclasses.asdict(report)})
    return {"subject": subject.pseudonym, "case_ids": [c.case_id for c in cases], **dataclasses.asdict(report)}


# ---------------------------------------------------------------- retention


@dataclass
class RetentionReport:
    examined: int = 0
    anonymised: int = 0
    skipped_recent: int = 0
    conflicts: int = 0
    failed: int = 0
    finished_passes: int = 0


def apply_retention(ctx: Context, *, batch: int = 100, max_reads: int = 5000,
                    time_budget_seconds: float = 20.0) -> RetentionReport:
    """Anonymise closed cases whose closing is older than the retention period.

    Per closed status, one pass walks the status index oldest first up to the cut-off (cases received after it
    cannot have closed before it), resuming from a checkpoint saved after every page; at the end of the
    partition the pass starts over (a case closed late, or closed again after a reopening, is met on a later
    pass). Already anonymised cases are recognised from the index projection, without reading the case. At
    most `max_reads` index items are read, `batch` cases anonymised and `time_budget_seconds` spent per run (well
    inside the function's timeout); one bad case never stops it.
    """
    import time

    from chalicelib.store.privacy import PrivacyRepository

    repo = PrivacyRepository()
    report = RetentionReport()
    cutoff = ctx.now() - timedelta(days=retention_days(ctx))
    deadline = time.monotonic() + time_budget_seconds

    def budget_left() -> bool:
        return report.examined < max_reads and report.anonymised < batch and time.monotonic() < deadline

    for status in CLOSED_STATUSES:
        cursor = repo.checkpoint(status.value)
        while budget_left():
            page = repo.closed_candidates(status.value, cutoff, cursor, limit=min(250, max_reads - report.examined))
            report.examined += page.read
            wanted = [c.case_id for c in page.items if c.summary != ANONYMISED_TEXT]
            stopped = False
            for case in ctx.cases.get_many(wanted).values() if wanted else ():
                if report.anonymised >= batch or time.monotonic() >= deadline:
                    stopped = True
                    break
                if case.is_open or case.closed_at is None or case.closed_at > cutoff or is_anonymised(case):
                    report.skipped_recent += int(not is_anonymised(case))
                    continue
                try:
                    anonymise_case(ctx, case)
                    report.anonymised += 1
                except VersionConflict:  # an officer acted on it meanwhile: the next run meets it again
                    report.conflicts += 1
                except Exception:  # one bad item never stops the job
                    report.failed += 1
                    logger.exception("retention: case not anonymised", extra={"case_id": case.case_id})
            if stopped or report.anonymised >= batch:
                break  # resume from this page next run (its anonymised cases are then skipped cheaply)
            cursor = page.cursor
            repo.save_checkpoint(status.value, cursor, ctx.now())
            if cursor is None:
                report.finished_passes += 1
                break
    if report.anonymised:
        ctx.audit.record(AUDIT_KIND, "system:retention", ctx.now(), outcome="retensi",
                         reason=f"masa retensi {retention_days(ctx)} hari (UU 27/2022 pasal 42 dan 44)",
                         detail=f"{report.anonymised} kasus dianonimkan")
    logger.info("retention run", extra=dataclasses.asdict(report))
    return report

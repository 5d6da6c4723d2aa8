"""The admin koordinator manages the city's OPDs and complaint categories (issue 11, items 2–3).

Why the rules are what they are:
- An OPD or category that cases point to is never deleted, only retired (`active=False`): retired OPDs are
  left out of the forwarding form and refused by `forward_case`; retired categories are left out of the
  suggester and the category list. Old cases keep their names and timelines readable.
- An OPD is deleted only when no case names it — checked on the cases' `by_agency_status` index and the
  supporting-OPD rows, one Query with Limit 1 per status (never a Scan) — and no category or officer uses it.
- Categories are never deleted: cases carry `category_id`, and no index answers "does any case have this
  category" without a Scan. Retiring one has the same effect for new cases.
- The admin koordinator's own OPD and the leadership OPD are rungs of the escalation ladder: never retired.
- Every change is one conditional single-item write, then an audit record (who, what, before → after), then
  `ctx.forget_directory()` so this container routes and suggests with the new data at once (other
  containers within the directory cache's lifetime, DIRECTORY_TTL_SECONDS).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from chalicelib.domain.routing import Agency, Category
from chalicelib.domain.sla import Tier
from chalicelib.services.context import Context

CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
MAX_NAME = 120
MAX_SHORT_NAME = 40
MAX_KEYWORDS = 60
KEYWORD_LENGTH = (2, 40)
AUDIT_KIND = "admin"


class CodeTaken(InvalidTransition):
    """The code is already used by another OPD or category (HTTP 409)."""

    code = "code_taken"


class InUse(InvalidTransition):
    """Cases, categories or officers still point to it: retire instead (HTTP 409)."""

    code = "in_use"


# --------------------------------------------------------------------------------------- validation
def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise NotPermitted("Hanya admin koordinator yang dapat mengelola OPD dan kategori.")


def check_code(value: str, field: str) -> str:
    code = value.strip()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            "Kode harus 2–40 karakter: huruf kecil, angka dan tanda hubung, diawali huruf (mis. dinas-pupr).",
            field=field,
        )
    return code


def check_name(value: str, field: str, max_length: int = MAX_NAME) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValidationFailed("Isian ini wajib diisi.", field=field)
    if len(name) > max_length:
        raise ValidationFailed(f"Paling panjang {max_length} karakter.", field=field)
    return name


def normalize_keywords(values: Iterable[str]) -> tuple[str, ...]:
    """Trimmed, lower-cased, deduplicated (first occurrence kept), each 2–40 characters, at most 60."""
    kept: list[str] = []
    for raw in values:
        if not isinstance(raw, str):
            raise ValidationFailed("Setiap kata kunci harus berupa teks.", field="keywords")
        keyword = " ".join(raw.split()).lower()
        if not keyword or keyword in kept:
            continue
        low, high = KEYWORD_LENGTH
        if not low <= len(keyword) <= high:
            raise ValidationFailed(f"Kata kunci '{keyword[:50]}' harus {low}–{high} karakter.", field="keywords")
        kept.append(keyword)
    if len(kept) > MAX_KEYWORDS:
        raise ValidationFailed(f"Paling banyak {MAX_KEYWORDS} kata kunci per kategori.", field="keywords")
    return tuple(kept)


def split_keywords(text: str) -> list[str]:
    """Keywords typed in a text area: one per line or separated by commas."""
    return [part for line in text.splitlines() for part in line.split(",")]


def check_tier(value: str) -> str:
    tier = value.strip()
    if tier not in {t.value for t in Tier}:
        raise ValidationFailed("Pilih salah satu tingkat prioritas.", field="default_tier")
    return tier


# --------------------------------------------------------------------------------------- views
def agency_view(agency: Agency, ctx: Context) -> dict:
    return {
        "agency_id": agency.agency_id,
        "name": agency.name,
        "short_name": agency.short_name,
        "active": agency.active,
        "protected": agency.agency_id in _protected(ctx),
    }


def category_view(category: Category, agencies: dict[str, Agency]) -> dict:
    agency = agencies.get(category.agency_id)
    return {
        "category_id": category.category_id,
        "name": category.name,
        "agency_id": category.agency_id,
        "agency_name": agency.name if agency else category.agency_id,
        "keywords": list(category.keywords),
        "default_tier": category.default_tier,
        "active": category.active,
    }


def list_agencies(ctx: Context, actor: Actor) -> list[dict]:
    """Every OPD, retired ones too, straight from the table (not the cache): the admin sees their edit."""
    require_admin(actor)
    return [agency_view(a, ctx) for a in sorted(ctx.directory.agencies(), key=lambda a: a.name.lower())]


def get_agency(ctx: Context, actor: Actor, agency_id: str) -> dict:
    """One OPD with what decides whether it can be deleted (cases, categories, officers)."""
    require_admin(actor)
    agency = _agency(ctx, agency_id)
    view = agency_view(agency, ctx)
    view["categories"] = [c.category_id for c in ctx.directory.categories() if c.agency_id == agency_id]
    view["has_officers"] = bool(ctx.directory.officers_of(agency_id))
    view["has_cases"] = ctx.directory.agency_has_cases(agency_id)
    view["deletable"] = not (view["categories"] or view["has_officers"] or view["has_cases"] or view["protected"])
    return view


def list_categories(ctx: Context, actor: Actor) -> list[dict]:
    require_admin(actor)
    agencies = {a.agency_id: a for a in ctx.directory.agencies()}
    return [category_view(c, agencies)
            for c in sorted(ctx.directory.categories(), key=lambda c: c.name.lower())]


def get_category(ctx: Context, actor: Actor, category_id: str) -> dict:
    require_admin(actor)
    return category_view(_category(ctx, category_id), {a.agency_id: a for a in ctx.directory.agencies()})


# --------------------------------------------------------------------------------------- agencies
def create_agency(ctx: Context, actor: Actor, agency_id: str, name: str, short_name: str) -> dict:
    require_admin(actor)
    agency = Agency(agency_id=check_code(agency_id, "agency_id"), name=check_name(name, "name"),
                    short_name=check_name(short_name, "short_name", MAX_SHORT_NAME))
    if not ctx.directory.add_agency(agency):
        raise CodeTaken(f"Kode OPD '{agency.agency_id}' sudah dipakai.", field="agency_id")
    _audit(ctx, actor, "opd_dibuat", f"OPD {agency.agency_id}: {_describe_agency(agency)}")
    return agency_view(agency, ctx)


def update_agency(ctx: Context, actor: Actor, agency_id: str, *, name: str | None = None,
                  short_name: str | None = None, active: bool | None = None) -> dict:
    """Rename, retire (`active=False`) or reactivate an OPD. Retiring refuses the escalation ladder's OPDs
    and an OPD that active categories still route to (their new cases would have nowhere to go)."""
    require_admin(actor)
    if name is None and short_name is None and active is None:
        raise ValidationFailed("Tidak ada yang diubah: isi nama, singkatan atau status aktif.", field="name")
    before = _agency(ctx, agency_id)
    after = Agency(
        agency_id=before.agency_id,
        name=before.name if name is None else check_name(name, "name"),
        short_name=before.short_name if short_name is None else check_name(short_name, "short_name",
                                                                             MAX_SHORT_NAME),
        active=before.active if active is None else active,
    )
    if before.active and not after.active:
        if agency_id in _protected(ctx):
            raise InUse("OPD admin koordinator dan OPD pimpinan tidak dapat dinonaktifkan: keduanya anak tangga "
                        "eskalasi.", field="active")
        routed = sorted(c.category_id for c in ctx.directory.categories() if c.agency_id == agency_id and c.active)
        if routed:
            raise InUse(f"Kategori aktif masih diarahkan ke OPD ini ({', '.join(routed)}): pindahkan ke OPD lain "
                        "atau nonaktifkan dulu.", field="active", categories=", ".join(routed))
    if after == before:
        return agency_view(after, ctx)
    if not ctx.directory.replace_agency(after):
        raise NotFound(f"OPD '{agency_id}' tidak ditemukan.")
    outcome = {(True, False): "opd_dinonaktifkan", (False, True): "opd_diaktifkan"}.get(
        (before.active, after.active), "opd_diubah")
    _audit(ctx, actor, outcome, f"OPD {agency_id}: {_changes(_agency_fields(before), _agency_fields(after))}")
    return agency_view(after, ctx)


def delete_agency(ctx: Context, actor: Actor, agency_id: str, confirm: str) -> None:
    """Delete an OPD nothing points to; `confirm` must repeat its code (a stray request deletes nothing)."""
    require_admin(actor)
    if confirm.strip() != agency_id:
        raise ValidationFailed("Ketik kode OPD untuk memastikan penghapusan.", field="confirm")
    agency = _agency(ctx, agency_id)
    if agency_id in _protected(ctx):
        raise InUse("OPD admin koordinator dan OPD pimpinan tidak dapat dihapus.", field="agency_id")
    categories = sorted(c.category_id for c in ctx.directory.categories() if c.agency_id == agency_id)
    if categories:
        raise InUse(f"Kategori masih diarahkan ke OPD ini ({', '.join(categories)}).", field="agency_id",
                    categories=", ".join(categories))
    if ctx.directory.officers_of(agency_id):
        raise InUse("Masih ada petugas di OPD ini: pindahkan atau nonaktifkan mereka, atau nonaktifkan OPD-nya.",
                    field="agency_id")
    if ctx.directory.agency_has_cases(agency_id):
        raise InUse("OPD ini pernah menangani laporan: tidak dapat dihapus, hanya dinonaktifkan.",
                    field="agency_id")
    if not ctx.directory.delete_agency(agency_id):
        raise NotFound(f"OPD '{agency_id}' tidak ditemukan.")
    _audit(ctx, actor, "opd_dihapus", f"OPD {agency_id}: {_describe_agency(agency)} → (dihapus)")


# --------------------------------------------------------------------------------------- categories
def create_category(ctx: Context, actor: Actor, category_id: str, name: str, agency_id: str,
                    keywords: Iterable[str], default_tier: str) -> dict:
    require_admin(actor)
    category = Category(
        category_id=check_code(category_id, "category_id"), name=check_name(name, "name"),
        agency_id=_active_agency(ctx, agency_id).agency_id, keywords=normalize_keywords(keywords),
        default_tier=check_tier(default_tier),
    )
    if not ctx.directory.add_category(category):
        raise CodeTaken(f"Kode kategori '{category.category_id}' sudah dipakai.", field="category_id")
    _audit(ctx, actor, "kategori_dibuat", f"kategori {category.category_id}: {_category_changes(None, category)}")
    return category_view(category, {a.agency_id: a for a in ctx.directory.agencies()})


def update_category(ctx: Context, actor: Actor, category_id: str, *, name: str | None = None,
                    agency_id: str | None = None, keywords: Iterable[str] | None = None,
                    default_tier: str | None = None, active: bool | None = None) -> dict:
    """Edit, retire (`active=False`) or reactivate a category. Its default OPD must be active whenever the
    category is (a reactivated category with a retired OPD would route new cases nowhere)."""
    require_admin(actor)
    if all(v is None for v in (name, agency_id, keywords, default_tier, active)):
        raise ValidationFailed("Tidak ada yang diubah.", field="name")
    before = _category(ctx, category_id)
    after = Category(
        category_id=before.category_id,
        name=before.name if name is None else check_name(name, "name"),
        agency_id=before.agency_id if agency_id is None else check_code(agency_id, "agency_id"),
        keywords=before.keywords if keywords is None else normalize_keywords(keywords),
        default_tier=before.default_tier if default_tier is None else check_tier(default_tier),
        active=before.active if active is None else active,
    )
    if after.active and (after.agency_id != before.agency_id or not before.active):
        _active_agency(ctx, after.agency_id)
    if after == before:
        return category_view(after, {a.agency_id: a for a in ctx.directory.agencies()})
    if not ctx.directory.replace_category(after):
        raise NotFound(f"Kategori '{category_id}' tidak ditemukan.")
    outcome = {(True, False): "kategori_dinonaktifkan", (False, True): "kategori_diaktifkan"}.get(
        (before.active, after.active), "kategori_diubah")
    _audit(ctx, actor, outcome, f"kategori {category_id}: {_category_changes(before, after)}")
    return category_view(after, {a.agency_id: a for a in ctx.directory.agencies()})


# --------------------------------------------------------------------------------------- helpers
def _protected(ctx: Context) -> set[str]:
    return {ctx.settings.admin_agency, ctx.settings.leadership_agency}


def _agency(ctx: Context, agency_id: str) -> Agency:
    agency = ctx.directory.agency(agency_id) if CODE_RE.match(agency_id) else None
    if agency is None:
        raise NotFound(f"OPD '{agency_id[:60]}' tidak ditemukan.")
    return agency


def _active_agency(ctx: Context, agency_id: str) -> Agency:
    agency = ctx.directory.agency(agency_id.strip()) if CODE_RE.match(agency_id.strip()) else None
    if agency is None or not agency.active:
        raise ValidationFailed("Pilih OPD tujuan yang aktif.", field="agency_id")
    return agency


def _category(ctx: Context, category_id: str) -> Category:
    category = ctx.directory.category(category_id) if CODE_RE.match(category_id) else None
    if category is None:
        raise NotFound(f"Kategori '{category_id[:60]}' tidak ditemukan.")
    return category


def _agency_fields(agency: Agency) -> dict[str, str]:
    return {"nama": agency.name, "singkatan": agency.short_name, "aktif": "ya" if agency.active else "tidak"}


def _describe_agency(agency: Agency) -> str:
    return f"{agency.name} ({agency.short_name})"


def _category_fields(category: Category) -> dict[str, str]:
    return {"nama": category.name, "opd": category.agency_id, "tingkat": category.default_tier,
            "aktif": "ya" if category.active else "tidak"}


def _changes(before: dict[str, str], after: dict[str, str]) -> str:
    """`field: 'old' → 'new'` for each field that changed (only `field: 'new'` for a creation)."""
    parts = [f"{key}: '{before[key]}' → '{new}'" if before else f"{key}: '{new}'"
             for key, new in after.items() if before.get(key) != new]
    return "; ".join(parts)


def _category_changes(before: Category | None, after: Category) -> str:
    """The field changes plus the keywords added and removed (the audit detail holds 500 characters)."""
    old = before.keywords if before else ()
    added = [k for k in after.keywords if k not in old]
    removed = [k for k in old if k not in after.keywords]
    parts = [_changes(_category_fields(before) if before else {}, _category_fields(after))]
    if added:
        parts.append(f"kata kunci +[{', '.join(added)}]")
    if removed:
        parts.append(f"kata kunci -[{', '.join(removed)}]")
    return "; ".join(p for p in parts if p) or "tidak berubah"


def _audit(ctx: Context, actor: Actor, outcome: str, detail: str) -> None:
    """Drop this container's cached directory (routing sees the change at once), then record the change."""
    ctx.forget_directory()
    ctx.audit.record(AUDIT_KIND, actor.actor_id.removeprefix("officer:"), ctx.now(), outcome=outcome,
                     detail=detail)

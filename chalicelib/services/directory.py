"""The city directory as officers see it, and category suggestions for a complaint text."""

from __future__ import annotations

from chalicelib.domain.routing import suggest_categories
from chalicelib.services.context import Context


def directory_view(ctx: Context) -> dict:
    return {
        "city": {"code": ctx.settings.city_code, "name": ctx.settings.city_name},
        "agencies": [
            {"agency_id": a.agency_id, "name": a.name, "short_name": a.short_name}
            for a in sorted(ctx.agencies.values(), key=lambda a: a.name)
            if a.active
        ],
        "categories": [
            {
                "category_id": c.category_id,
                "name": c.name,
                "agency_id": c.agency_id,
                "default_tier": c.default_tier,
            }
            for c in sorted(ctx.categories.values(), key=lambda c: c.name)
            if c.active
        ],
    }


def suggest_for_text(ctx: Context, text: str) -> list[dict]:
    active = [c for c in ctx.categories.values() if c.active]
    return [
        {
            "category_id": s.category_id,
            "name": ctx.categories[s.category_id].name,
            "agency_id": ctx.categories[s.category_id].agency_id,
            "score": round(s.score, 3),
            "matched": list(s.matched),
        }
        for s in suggest_categories(text, active)
    ]

"""Tiny server-rendered charts (inline SVG) and Indonesian number formatting for the officer pages.

No JavaScript, no external font or stylesheet, no ``style`` attribute (the pages run under a strict
Content-Security-Policy; SVG presentation attributes such as ``fill`` are not styles). Every text that reaches
the SVG is escaped. A chart is an image to assistive technology (``role="img"``) whose ``aria-label`` reads
the whole data (the same figures are also in a table on the page).

Colours: bars #0b5cab on white (6.7:1), the warning tone #b00020 (6.9:1), text #1a1a1a (17:1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR_COLOUR = "#0b5cab"
WARN_COLOUR = "#b00020"
TEXT_COLOUR = "#1a1a1a"
TRACK_COLOUR = "#e8ecf0"
DASH = "–"


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Indonesian style: '1.234', '2,5'; a trailing ',0' is dropped; None is '–'."""
    if value is None:
        return DASH
    text = f"{value:,.{decimals}f}"
    if decimals and text.endswith("." + "0" * decimals):
        text = text[: -(decimals + 1)]
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_percent(value: float | None) -> str:
    """A percentage 0..100: '66,7%', '100%'; None is '–'."""
    return DASH if value is None else f"{format_number(value, 1)}%"


def format_days(value: float | None, unit: str = "hari kerja") -> str:
    return DASH if value is None else f"{format_number(value, 1)} {unit}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(
    rows: Sequence[tuple[str, float | int | None]],
    *,
    title: str,
    value_text: Callable[[float | int | None], str] = format_number,
    max_value: float | None = None,
    colour: str = BAR_COLOUR,
    width: int = 480,
    label_width: int = 200,
    label_chars: int = 26,  # about 7 px a character at 13 px: fits the label column
    bar_height: int = 18,
    gap: int = 8,
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, labelled and valued in text; ``Markup("")`` if no rows.

    Bars are scaled to ``max_value`` (default: the largest value). Long labels are shortened on the bar
    (the full label is in the bar's ``<title>`` and in the chart's ``aria-label``). None is drawn as no bar
    and the text '–'; negative values as no bar.
    """
    if not rows:
        return Markup("")
    values = [max(0.0, float(value)) if value is not None else 0.0 for _label, value in rows]
    top = max_value if max_value and max_value > 0 else max(values) or 1.0
    value_width = 56
    track = max(40, width - label_width - value_width)
    height = len(rows) * (bar_height + gap) + gap
    texts = [value_text(value) for _label, value in rows]
    summary = "; ".join(f"{label}: {text}" for (label, _value), text in zip(rows, texts, strict=True))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grafik-batang" role="img" '
        f'aria-label="{escape(title)}. {escape(summary)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="system-ui, sans-serif" font-size="13" '
        f'fill="{TEXT_COLOUR}"><title>{escape(title)}</title>'
    ]
    for index, ((label, _value), value, text) in enumerate(zip(rows, values, texts, strict=True)):
        y = gap + index * (bar_height + gap)
        baseline = y + bar_height - 5
        length = round(track * min(value, top) / top, 1)
        parts.append(
            f"<g><title>{escape(label)}: {escape(text)}</title>"
            f'<text x="{label_width - 8}" y="{baseline}" text-anchor="end">{escape(_shorten(label, label_chars))}'
            f'</text><rect x="{label_width}" y="{y}" width="{track}" height="{bar_height}" fill="{TRACK_COLOUR}"/>'
        )
        if length > 0:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" fill="{escape(colour)}"/>'
            )
        parts.append(f'<text x="{label_width + track + 6}" y="{baseline}">{escape(text)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))

"""Accessibility checks with axe-core (npm devDependency, `node_modules/axe-core/axe.min.js`).

The pages send `Content-Security-Policy: script-src 'self'`, which forbids an inline <script> tag, so
`page.add_script_tag(content=...)` is refused. axe is evaluated through the DevTools protocol instead
(`page.evaluate` of the file's text), which the page's CSP does not govern: the page under test keeps its real
policy, and axe (which needs no eval) runs in it unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tests.e2e.browser import REPO_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

AXE_TIMEOUT_MS = 30_000  # page.evaluate itself never times out

_RUN = """async ([options, timeoutMs]) => {
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`axe.run took more than ${timeoutMs} ms`)), timeoutMs));
  const result = await Promise.race([window.axe.run(document, options), timeout]);
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
  }));
}"""


@lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `make node_modules` (npm ci installs axe-core)")
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page: Page, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe's violations for the page as it is now: dicts with id, impact, help, helpUrl and nodes
    (target, html, summary). `options` go to `axe.run` (default: every non-experimental rule)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
        if not page.evaluate("() => typeof window.axe === 'object'"):
            raise RuntimeError(f"axe-core did not load into {page.url}")
    return page.evaluate(_RUN, [options or {"resultTypes": ["violations"]}, AXE_TIMEOUT_MS])


def format_violations(violations: list[dict[str, Any]], url: str) -> str:
    lines = [f"{len(violations)} serious/critical accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            if node.get("summary"):
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)


def assert_accessible(page: Page, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Fail on any violation of impact serious or critical (printing rule, help text and offending nodes);
    return the lesser ones."""
    violations = run_axe(page, options)
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, format_violations(blocking, page.url)
    return violations

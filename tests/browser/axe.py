"""axe-core (vendored in tests/browser/vendor/, MPL-2.0) run inside a Playwright page.

The script is evaluated through the DevTools protocol, not added as a <script> element, so
the page's Content-Security-Policy stays as strict as in production and still watches.
"""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """Return axe's WCAG 2.1 A/AA violations of the page as shown now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return result["violations"]


def assert_accessible(page) -> None:
    """Fail on any serious or critical violation, naming the rule and the elements."""
    blocking = [v for v in axe_violations(page) if v.get("impact") in BLOCKING]
    assert not blocking, "\n".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]} at {page.url}"
        for v in blocking
    )

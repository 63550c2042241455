"""axe-core in a Playwright page: the vendored engine (no network at test time), its findings.

The pages' Content-Security-Policy refuses injected scripts, so the context axe runs in is
made with ``bypass_csp=True``; the CSP itself is tested in test_csp.py with a normal context.
"""

from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# Every WCAG 2.x A/AA rule and axe's best practices (heading order, landmarks, one h1...).
RUN_ONLY = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page) -> list[str]:
    """The rules the page breaks, one line each: rule id, impact and the first nodes' targets."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": RUN_ONLY}, "resultTypes": ["violations"]}
    result = page.evaluate("(options) => axe.run(document, options)", options)
    return [_line(v) for v in result["violations"]]


def _line(violation: dict) -> str:
    targets = [" ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"

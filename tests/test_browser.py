"""The committed report opened in a real browser (headless Chromium driven by Playwright).

Checks what a reader sees, at 1280 px and 800 px wide: every image decodes, no
console error, no element wider than the window (every collapsed table opened
first), every table-of-contents link lands on its section, the verdict legend is
visible, and no visible text shows a raw column name (``conf_low``,
``std_error``...) or scientific notation (``2.7e-05``) outside the glossary.
Screenshots go to the test's temporary folder.

Needs Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` installs it when
root) and the ``playwright`` Python package; no browser is downloaded.  Without
them the test is skipped with a one-line reason.  ``audit_report`` is also
usable by hand: ``python -m tests.test_browser path/to/index.html``.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from analysis import paths

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTHS = (1280, 800)
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Raw result-vocabulary names that must never reach a reader (plus every CSV column name).
RAW_VOCABULARY = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                  "conf_high", "p_holm", "p_bh", "p_decision", "tost_p", "boot_conf_low",
                  "boot_conf_high", "moderator_value", "style_value", "replication_probability")
SCIENTIFIC = re.compile(r"\b\d+(?:\.\d+)?[eE][-+]?\d+\b")

_VISIBLE_TEXT_JS = """() => {
  const hide = document.createElement('style');
  hide.textContent = '#glossary, code { display: none !important; }';
  document.head.appendChild(hide);
  const text = document.body.innerText;
  hide.remove();
  return text;
}"""
_OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth, out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > w + 1 || r.left < -1)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className || ''} ` +
               `right=${Math.round(r.right)} (window ${w}): ` +
               (el.textContent || '').trim().slice(0, 40));
    }
  }
  if (document.documentElement.scrollWidth > w + 1)
    out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${w}`);
  return out;
}"""
_IMAGES_JS = """async () => {
  const bad = [];
  for (const img of document.images) {
    try { await img.decode(); } catch (e) { bad.push(img.alt || img.src.slice(0, 40)); continue; }
    if (!(img.naturalWidth > 0)) bad.push(img.alt || img.src.slice(0, 40));
  }
  return [document.images.length, bad];
}"""
_TOC_JS = """(id) => {
  const t = document.getElementById(id);
  if (!t) return 'missing';
  const r = t.getBoundingClientRect(), h = window.innerHeight;
  const atBottom = window.scrollY + h >= document.documentElement.scrollHeight - 2;
  return (r.top >= -2 && r.top <= h * 0.4) || (atBottom && r.top >= -2 && r.top < h) ? 'ok'
         : `top at ${Math.round(r.top)} px`;
}"""


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


def _open_browser(stack):
    from playwright.sync_api import sync_playwright
    pw = stack.enter_context(sync_playwright())
    profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="salesgxe-chromium-"))
    return pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM,
                                                args=LAUNCH_ARGS, headless=True,
                                                viewport={"width": 1280, "height": 900})


def _raw_names(folder: Path) -> re.Pattern:
    """The raw vocabulary and every snake_case column name of the report's CSV tables."""
    names = {n for n in RAW_VOCABULARY if "_" in n}
    for csv in folder.glob("tables/*.csv"):
        header = csv.read_text(encoding="utf-8").split("\n", 1)[0]
        names |= {c.strip('"') for c in header.split(",") if "_" in c}
    return re.compile(r"(?<![\w.])(" + "|".join(sorted(map(re.escape, names), key=len,
                                                          reverse=True)) + r")(?![\w])")


def audit_report(html: Path, shots: Path, context, width: int) -> tuple[list[str], dict]:
    """Problems a reader would see at ``width`` px, and facts (page height, image count)."""
    problems, facts = [], {}
    raw_names = _raw_names(html.parent)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.resolve().as_uri(), wait_until="load")
    facts["height"] = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(shots / f"top_{width}.png"))
    for selector, name in ((".card", "claim_card"), ("figure", "figure"),
                           ("details", "collapsed_table")):
        if page.locator(selector).count():
            page.locator(selector).first.screenshot(path=str(shots / f"{name}_{width}.png"))
    n_images, broken = page.evaluate(_IMAGES_JS)
    facts["images"] = n_images
    problems += [f"image does not decode: {b}" for b in broken]
    legend = page.locator("#verdict-legend")
    if not legend.count() or not legend.first.is_visible():
        problems.append("no visible verdict legend (#verdict-legend)")
    for href in page.eval_on_selector_all("nav a[href^='#']", "as => as.map(a => a.hash)"):
        page.locator(f"nav a[href='{href}']").first.click()
        page.wait_for_timeout(50)
        where = page.evaluate(_TOC_JS, href[1:])
        if where != "ok":
            problems.append(f"contents link {href} does not land on its section ({where})")
    if not page.eval_on_selector_all("nav a[href^='#']", "as => as.length"):
        problems.append("no table of contents (nav a[href^='#'])")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    problems += page.evaluate(_OVERFLOW_JS)[:20]
    text = page.evaluate(_VISIBLE_TEXT_JS)
    problems += [f"raw name in visible text: {m}" for m in sorted(set(raw_names.findall(text)))]
    problems += [f"scientific notation in visible text: {m}"
                 for m in sorted(set(SCIENTIFIC.findall(text)))]
    page.screenshot(path=str(shots / f"full_{width}.png"), full_page=True)
    problems += [f"console error: {e}" for e in errors]
    page.close()
    return problems, facts


@pytest.fixture(scope="module")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from contextlib import ExitStack
    with ExitStack() as stack:
        yield _open_browser(stack)


@pytest.mark.parametrize("width", WIDTHS)
def test_committed_report_reads_well_in_a_browser(browser, width, tmp_path):
    html = paths.REPLICATION_REPORT / "index.html"
    problems, facts = audit_report(html, tmp_path, browser, width)
    assert facts["images"] >= 1
    assert problems == [], "\n".join(problems)
    for name in ("top", "claim_card", "figure", "collapsed_table", "full"):
        assert (tmp_path / f"{name}_{width}.png").stat().st_size > 1000, name


def main(argv: list[str]) -> int:
    """Audit one ``index.html`` by hand; screenshots to a folder (default: a temp folder)."""
    reason = _skip_reason()
    if reason:
        print(reason)
        return 2
    from contextlib import ExitStack
    html = Path(argv[0])
    shots = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="report-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    failed = 0
    with ExitStack() as stack:
        ctx = _open_browser(stack)
        for width in WIDTHS:
            problems, facts = audit_report(html, shots, ctx, width)
            print(f"{width} px: page height {facts['height']} px, {facts['images']} images, "
                  f"{len(problems)} problems")
            for p in problems:
                print("  ", p)
            failed += bool(problems)
    print(f"screenshots: {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

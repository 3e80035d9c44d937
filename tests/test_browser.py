"""Every report page as a person sees it: headless Chromium with the network off.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them in CI). Locally the test
is skipped when they are missing; in CI (``CI`` set) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis import i18n
from analysis.report import run_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are required in CI (.ci/run installs them)")
        pytest.skip("chromium / chromedriver not installed")
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1280,2000",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    yield driver
    driver.quit()


def test_pages_load_without_console_errors_and_show_figures(browser, synth_small, tmp_path, monkeypatch):
    """Every page of a run, in both languages, at a desktop width and at a phone's (400 px): no console
    error, ``<html lang>`` set, figures drawn, nothing fetched, no sideways scrolling of the page, and no
    message of the page shown untranslated in Chinese (the kernels append any to the missing log)."""
    folder, _ = synth_small
    missing = tmp_path / "untranslated.txt"
    monkeypatch.setenv(i18n.MISSING_LOG, str(missing))
    result = run_reports(folder, out=tmp_path / "reports")
    assert result.ok
    assert not missing.exists(), "messages without a Chinese translation:\n" + missing.read_text()
    index = [tmp_path / "reports" / "index.html", tmp_path / "reports" / "index.zh.html"]
    pages = [*index, *sorted(result.run_dir.glob("*.html"))]
    assert {p.name for p in pages} >= {"kpi.html", "kpi.zh.html", "churn.zh.html", "core_members.zh.html"}
    for width in (1280, 400):
        browser.set_window_size(width, 2000)
        for page in pages:
            browser.get(page.as_uri())
            errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], (page.name, errors)
            assert browser.execute_script("return document.readyState") == "complete"
            lang = browser.execute_script("return document.documentElement.lang")
            assert lang == ("zh-Hans" if ".zh." in page.name else "en"), (page.name, lang)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (page.name, width, overflow)
            # every page links the run index and its other language
            hrefs = browser.execute_script(
                "return Array.from(document.links).map(a => a.getAttribute('href'))"
            )
            if page not in index:
                assert any(h.endswith("index.html") or h.endswith("index.zh.html") for h in hrefs), page.name
                other = (
                    page.name.replace(".zh.html", ".html")
                    if ".zh." in page.name
                    else page.name.replace(".html", ".zh.html")
                )
                assert other in hrefs, (page.name, hrefs)
                sizes = browser.execute_script(
                    "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, "
                    "i.getBoundingClientRect().width, i.getBoundingClientRect().height])"
                )
                assert sizes and all(c and nw > 0 and w > 0 and h > 0 for c, nw, w, h in sizes), (
                    page.name,
                    sizes,
                )
                # nothing was fetched from anywhere: every resource is the page itself or inline
                urls = browser.execute_script(
                    "return performance.getEntriesByType('resource').map(e => e.name)"
                )
                assert all(u.startswith("data:") for u in urls), urls
            shot = tmp_path / "screenshots" / f"{page.stem}-{width}.png"
            shot.parent.mkdir(exist_ok=True)
            assert browser.save_screenshot(str(shot)) and Path(shot).stat().st_size > 10_000

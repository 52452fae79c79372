"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, installed by
``make setup``) driven through selenium, for the dashboard's browser tests.

``Browser`` wraps one WebDriver session with what every test checks afterwards: which hosts
the page asked (Chromium's performance log records every request the page makes, whatever
its kind: fetch, script, style, image, font), what it wrote to the console, and screenshots
at the two widths the dashboard promises (1280 and 390 px), saved as artifacts under
``artifacts/screenshots/`` (``SCREENSHOT_DIR`` overrides it).

A machine without Chromium fails these tests rather than skipping them: the Makefile installs
it, so its absence is a broken set-up, not a reason to test less.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["WIDTHS", "Browser", "chromium"]

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = {"wide": 1280, "narrow": 390}
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")
# What sticks out past the window's right edge (the innermost elements first).
_WIDER = (
    "const clipped = (e) => { for (let p = e.parentElement; p; p = p.parentElement)"
    " if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };"
    "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
    ".right > document.documentElement.clientWidth + 1 && !clipped(e)).reverse()"
    ".slice(0, 5).map(e => e.tagName + '.' + e.className + ': '"
    " + (e.textContent || '').slice(0, 40))"
)
# Text whose contrast with its background is under WCAG AA (4.5:1, or 3:1 for large text:
# 24px, or 18.66px bold). The background is the nearest opaque one up the tree; disabled
# controls are exempt (WCAG 1.4.3), as is text over images.
_LOW_CONTRAST = """
const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
  return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
const background = (e) => { for (; e; e = e.parentElement) {
  const s = getComputedStyle(e);
  if (s.backgroundImage !== 'none') return null;
  const c = rgb(s.backgroundColor); if (c.length === 3 || c[3] === 1) return c.slice(0, 3); }
  return [255, 255, 255]; };
const out = [];
for (const e of document.querySelectorAll('body *')) {
  if (e.closest('svg, [disabled], .skip') || ![...e.childNodes].some((n) =>
      n.nodeType === 3 && n.textContent.trim())) continue;
  const box = e.getBoundingClientRect(), s = getComputedStyle(e);
  if (!box.width || !box.height || s.visibility === 'hidden') continue;
  const bg = background(e); if (!bg) continue;
  const [a, b] = [lum(rgb(s.color)), lum(bg)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
  const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < need) out.push(`${e.tagName}.${e.className}: ${ratio.toFixed(2)} < ${need}: `
    + e.textContent.trim().slice(0, 30));
}
return out;
"""
WAIT = 20.0  # seconds: a condition, not a sleep; generous for a loaded 2-core machine


def _binaries() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail(
            "Chromium or chromedriver is missing: `make setup` installs Debian's "
            "chromium and chromium-driver (the browser tests never skip)",
            pytrace=False,
        )
    return browser, driver


class Browser:
    """One headless Chromium session pointed at one app host."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))

    # --------------------------------------------------------------------------- navigate
    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str, within: float = WAIT) -> WebElement:
        """The first element matching ``css``, waiting until it exists."""
        return WebDriverWait(self.driver, within).until(
            lambda d: (d.find_elements(By.CSS_SELECTOR, css) or [None])[0],
            f"no element {css!r} on {self.driver.current_url}",
        )

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def until(self, condition: Callable[[], Any], what: str, within: float = WAIT) -> Any:
        """Wait until ``condition()`` is truthy (it may raise while the page is changing)."""

        def check(_: object) -> Any:
            try:
                return condition()
            except Exception:  # a stale element or a half-drawn view: try again
                return None

        return WebDriverWait(self.driver, within, poll_frequency=0.1).until(check, what)

    def text(self, css: str = "main") -> str:
        return str(self.find(css).text)

    def script(self, code: str, *args: Any) -> Any:
        return self.driver.execute_script(code, *args)

    # ------------------------------------------------------------------------ evidence
    def requests(self) -> list[str]:
        """Every URL the page asked since the last call (from the performance log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(str(message["params"]["request"]["url"]))
        return urls

    def foreign_requests(self, allowed: tuple[str, ...] = ()) -> list[str]:
        """The requests that went to any host but the app's (``allowed``: extra prefixes)."""
        return [
            u
            for u in self.requests()
            if not (u.startswith(self.origin + "/") or u.startswith(allowed or ("\0",)))
        ]

    def console_errors(self) -> list[str]:
        """Console messages at error level since the last call."""
        return [str(e["message"]) for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshots(self, name: str, *, contrast: bool = True) -> list[Path]:
        """The page at 1280 and 390 px wide, saved as ``<name>-wide.png``/``-narrow.png``;
        checks at each width that the page scrolls no wider than the window (it reads on a
        phone) and, unless ``contrast`` is off (a page styled by others), that its text meets
        WCAG AA contrast."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        saved = []
        for label, width in WIDTHS.items():
            self.driver.set_window_size(width, 900)
            self.until(
                lambda w=width: self.script("return window.innerWidth") <= w,
                f"the window to be {width} px wide",
            )
            path = SCREENSHOTS / f"{name}-{label}.png"
            height = self.script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(width, min(max(int(height), 600), 4000))
            assert self.driver.save_screenshot(str(path)), path
            saved.append(path)
            overflow = self.script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, (
                f"{name} scrolls sideways by {overflow}px at {width}px: {self.script(_WIDER)}"
            )
            low = self.script(_LOW_CONTRAST) if contrast else []
            assert low == [], f"{name} at {width}px: text under WCAG AA contrast: {low}"
        self.driver.set_window_size(WIDTHS["wide"], 900)
        return saved


@contextmanager
def chromium(base_url: str) -> Iterator[Browser]:
    """A headless Chromium for the module, quit at the end."""
    browser_path, driver_path = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        # Chromium's own traffic (updates, safe browsing, sync) is not the page's;
        # keep it off so the performance log holds only what the page asked.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-GB",
        f"--window-size={WIDTHS['wide']},900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield Browser(driver, base_url)
    finally:
        driver.quit()

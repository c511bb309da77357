"""Headless Chromium, driven by selenium: how the report's pages are checked and pictured.

Uses the system's ``chromium`` (or Chrome) and its matching ``chromedriver`` (Debian:
``apt-get install chromium chromium-driver``); selenium is given both paths, so it never looks
for or downloads a driver.
"""
import contextlib
import shutil
import tempfile
from pathlib import Path

from .errors import ComplexAutoError

# on PATH, or where macOS installs the app bundles (not on PATH there)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
            "/Applications/Chromium.app/Contents/MacOS/Chromium",
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
DRIVERS = ("chromedriver", "/usr/lib/chromium/chromedriver")


def _which(names):
    return next((found for found in map(shutil.which, names) if found), None)


def _find(names, what):
    found = _which(names)
    if found:
        return found
    raise ComplexAutoError(f"no {what} found (looked for {', '.join(names)}); install it, "
                           "e.g. apt-get install chromium chromium-driver")


def available():
    """Whether a Chromium (or Chrome) browser and a chromedriver are installed."""
    return _which(BROWSERS) is not None and _which(DRIVERS) is not None


@contextlib.contextmanager
def chromium(width=1280, height=1000):
    """A headless Chromium session (selenium ``WebDriver``), closed on exit.

    Media may play without a user gesture (so that a test can press "play all"), and the
    browser's console messages are kept for ``driver.get_log('browser')``. The browser's
    profile lives in a temporary folder, removed on exit.
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise ComplexAutoError("selenium is not installed: pip install selenium") from None
    options = webdriver.ChromeOptions()
    options.binary_location = _find(BROWSERS, "Chromium browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Without a profile of its own, Chromium leaves a folder with its singleton socket in
    # $TMPDIR after every session: one in /tmp for each screenshot.
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as tmp:
        options.add_argument(f"--user-data-dir={Path(tmp) / 'profile'}")
        driver = webdriver.Chrome(service=Service(_find(DRIVERS, "chromedriver")),
                                  options=options)
        try:
            yield driver
        finally:
            driver.quit()


def screenshot(page, png, width=1280, height=1000, at=None):
    """Save a picture of an HTML file as headless Chromium shows it: ``width`` × ``height`` px.

    Parameters
    ----------
    page : str or Path
        The HTML file.
    png : str or Path
        Where to write the PNG (atomically).
    width, height : int
        Size of the picture in pixels (the page's viewport: the window's own frame is not
        counted, so ``height`` is all page).
    at : str, optional
        CSS selector of the element to show at the top of the picture (default: the page's
        top).
    """
    from .utils import atomic_path

    page = Path(page).resolve()
    with chromium(width, height) as driver:
        # --window-size counts the window's frame (a 600 px window showed 457 px of page)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.get(page.as_uri())
        if at:
            if not driver.execute_script("const e = document.querySelector(arguments[0]);"
                                         "if (e) e.scrollIntoView(); return !!e;", at):
                raise ComplexAutoError(f"{page}: no element '{at}' to show")
        with atomic_path(png) as tmp:
            if not driver.save_screenshot(str(tmp.with_suffix(".png"))):
                raise ComplexAutoError(f"Chromium could not take a screenshot of {page}")
            tmp.with_suffix(".png").replace(tmp)

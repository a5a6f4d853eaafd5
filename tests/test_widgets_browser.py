"""End to end: the labelling notebook in Voilà, clicked through in a real Chromium.

Starts its own Voilà server on 127.0.0.1 with ``examples/label_digits.ipynb``,
drives Debian's ``chromium`` through selenium and ``chromium-driver``, labels two
rounds by clicking, and reads the loop the notebook saved after each round
(``SKVAEAL_AUTOSAVE``): the labelled set must have grown by exactly the rows shown,
with the labels clicked. Skips, saying why, when the browser, its driver, Voilà or
selenium is missing; ``.ci/run`` installs them so that CI always runs it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "label_digits.ipynb"
N_INSTANCES = 3
TIMEOUT = 180  # seconds for the kernel to start and a round to be taught


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _missing():
    if _browser() is None:
        return "no Chromium installed (apt-get install chromium chromium-driver)"
    if shutil.which("chromedriver") is None:
        return "no chromedriver installed (apt-get install chromium-driver)"
    for module in ("voila", "selenium", "ipywidgets"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[test]')"
    return None


# CI sets SKVAEAL_REQUIRE_BROWSER=1 after installing the browser: there a missing piece fails.
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(_missing() is not None and not os.environ.get(
                  "SKVAEAL_REQUIRE_BROWSER"), reason=f"browser test skipped: {_missing()}")]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila(tmp_path):
    """A Voilà server on 127.0.0.1 rendering a copy of the labelling notebook."""
    assert _missing() is None, f"SKVAEAL_REQUIRE_BROWSER is set, but {_missing()}"
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    port = _free_port()
    autosave = tmp_path / "loop.skvaeal"
    env = dict(os.environ, SKVAEAL_AUTOSAVE=str(autosave),
               SKVAEAL_N_INSTANCES=str(N_INSTANCES), OMP_NUM_THREADS="1")
    log = open(tmp_path / "voila.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", NOTEBOOK.name, "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", "--show_tracebacks=True"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "api", timeout=2)
                break
            except urllib.error.HTTPError:  # any answer, even a refusal: the server is up
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("Voilà did not start:\n" +
                                (tmp_path / "voila.log").read_text()[-3000:])
                time.sleep(0.5)
        yield url, autosave
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _browser()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--window-size=1400,1800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _shown(driver, wait, previous=()):
    """Pool positions of the rows on screen, once a full round of cards is there.

    ``previous``: the rows of the round just submitted. The notebook saves the
    round before it redraws, so until the new cards arrive the page may still
    show these; wait for a redraw (the rows shown differ from them) first.
    """
    from selenium.webdriver.common.by import By

    def ready(d):
        captions = d.find_elements(By.CSS_SELECTOR, ".skvaeal-row .skvaeal-caption")
        idx = [int(c.get_attribute("data-index")) for c in captions]
        return len(idx) == N_INSTANCES and list(idx) != list(previous) and idx
    return wait.until(ready)


def _click_round(driver, wait, labels):
    from selenium.webdriver.common.by import By

    for i, label in enumerate(labels):
        row = driver.find_element(By.CSS_SELECTOR, f".skvaeal-row-{i}")
        buttons = row.find_elements(By.CSS_SELECTOR, ".skvaeal-label-buttons button")
        [button] = [b for b in buttons if b.text.strip() == str(label)]
        button.click()
        wait.until(lambda d, b=button: "mod-active" in b.get_attribute("class"))
    driver.find_element(By.CSS_SELECTOR, "button.skvaeal-submit").click()


def _wait_for_round(autosave, n_round):
    from skvaeal.active import ActiveLearningLoop

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if autosave.exists():
            loop = ActiveLearningLoop.load(autosave)
            if loop.round_ >= n_round:
                return loop
        time.sleep(0.3)
    pytest.fail(f"the notebook did not save round {n_round} within {TIMEOUT} s")


def test_two_rounds_labelled_by_clicking(voila, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    url, autosave = voila
    start = time.perf_counter()
    browser.get(url)
    wait = WebDriverWait(browser, TIMEOUT)
    shown, clicked, idx = [], [], []
    for n_round, labels in enumerate(([1, 7, 1], [3, 7, 9]), start=1):
        idx = _shown(browser, wait, previous=idx)
        assert len(set(idx)) == N_INSTANCES and not set(idx) & set(shown)
        # Labels that are not the digits' own: they can only come from the clicks.
        _click_round(browser, wait, labels)
        loop = _wait_for_round(autosave, n_round)
        shown += idx
        clicked += labels
        assert loop.labeled_indices_.tolist() == shown
        assert loop.labels_.tolist() == clicked
        assert loop.learner.y_training.tolist() == clicked
        np.testing.assert_array_equal(loop.learner.X_training, loop.X_pool[shown])
    # The next query is on screen: the third round's rows, none of them labelled.
    assert not set(_shown(browser, wait, previous=idx)) & set(shown)
    print(f"\nbrowser test: two rounds clicked in {time.perf_counter() - start:.1f} s")

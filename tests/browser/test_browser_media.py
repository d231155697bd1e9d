"""Media as a person sees them in Chromium: the Run page's panels and step slider, an image
opened full size pixel-exact, a sound that plays, a table that sorts and filters, Compare side
by side (images, and table rows joined by the prompt), all at 390 px too."""

from __future__ import annotations

import io

import numpy as np
from browser_support import Server, wait_until
from PIL import Image as PILImage
from playwright.sync_api import Browser, Page, expect

import trainboard


def _pixels(step: int) -> np.ndarray:
    """A 3 x 4 RGB image whose every pixel differs and depends on the step."""
    a = np.arange(3 * 4 * 3, dtype=np.int64).reshape(3, 4, 3) * 5 + step * 40
    return (a % 256).astype(np.uint8)


def _run(name: str, answers: dict[str, str]) -> str:
    run = trainboard.init(project="p", name=name)
    for s in range(5):
        image = trainboard.Image(_pixels(s), caption=f"{name} step {s}")
        run.log({"train/loss": 1.0 / (s + 1), "samples": image}, step=s)
    sound = np.sin(np.arange(4000) / 4).astype(np.float32)
    run.log({"speech": trainboard.Audio(sound, sample_rate=8000)}, step=4)
    table = trainboard.Table(columns=["prompt", "answer", "score"])
    for i, (prompt, answer) in enumerate(answers.items()):
        table.add_data(prompt, answer, float(i))
    run.log({"evals": table}, step=4)
    run.finish()
    return run.id


def _finished(server: Server, *ids: str) -> None:
    wait_until(
        lambda: all(server.api(f"/runs/{r}").json()["run"]["status"] == "finished" for r in ids),
        what="the runs to finish",
    )


def test_run_page_media_slider_full_size_audio_and_table(server: Server, ui: Page) -> None:
    rid = _run("alpha", {"2+2?": "4", "capital of France?": "Paris", "color of sky?": "blue"})
    _finished(server, rid)
    ui.goto(f"{server.url}/runs/{rid}")
    panel = ui.locator('[data-media-key="samples"]')
    expect(panel.get_by_text("alpha step 4")).to_be_visible()  # the newest step first
    ui.get_by_label("media step").fill("2")
    expect(panel.get_by_text("alpha step 2")).to_be_visible()
    expect(ui.get_by_test_id("media-step")).to_have_text("2")
    assert "mstep=2" in ui.url  # the chosen step is in the URL

    panel.get_by_role("button", name="open alpha step 2 full size").click()
    ui.get_by_role("button", name="8×").click()
    big = ui.get_by_test_id("lightbox-image")
    expect(big).to_have_attribute("width", "32")
    wait_until(lambda: big.evaluate("e => e.complete && e.naturalWidth") == 4, what="the image")
    assert big.evaluate("e => getComputedStyle(e).imageRendering") == "pixelated"
    shot = np.asarray(PILImage.open(io.BytesIO(big.screenshot())).convert("RGB"))
    assert shot.shape == (24, 32, 3)
    want = _pixels(2)
    for y in range(3):
        for x in range(4):  # every 8 x 8 block is exactly its pixel: no smoothing
            block = shot[y * 8 : y * 8 + 8, x * 8 : x * 8 + 8].reshape(-1, 3)
            assert (block == want[y, x]).all(), (y, x, block[:3], want[y, x])
    ui.keyboard.press("Escape")
    expect(big).to_have_count(0)

    audio = ui.locator('[data-media-key="speech"] audio')
    duration = audio.evaluate(
        """a => new Promise(ok => { a.onloadedmetadata = () => ok(a.duration);
                                     a.preload = 'auto'; a.load(); })"""
    )
    assert abs(duration - 0.5) < 0.01  # 4,000 samples at 8 kHz, decoded by Chromium

    table = ui.locator('[data-media-key="evals"]')
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    table.get_by_role("button", name="answer").click()
    expect(rows.first).to_contain_text("4")
    table.get_by_role("button", name="answer ▲").click()  # again: descending
    expect(rows.first).to_contain_text("Paris")
    table.get_by_label("filter rows").fill("paris")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("capital of France?")


def test_compare_side_by_side_images_and_joined_tables(server: Server, ui: Page) -> None:
    a = _run("alpha", {"2+2?": "4", "capital of France?": "Paris"})
    b = _run("beta", {"capital of France?": "Lyon", "2+2?": "five"})
    _finished(server, a, b)
    ui.goto(f"{server.url}/compare?runs={a},{b}")
    card = ui.get_by_test_id("compare-media")
    expect(card).to_be_visible()
    card.get_by_label("media key").select_option("samples")
    for rid, name in ((a, "alpha"), (b, "beta")):
        expect(card.locator(f'[data-media-run="{rid}"]')).to_contain_text(f"{name} step 4")
    card.get_by_label("compare media step").fill("1")
    expect(card.get_by_test_id("compare-media-step")).to_have_text("1")
    expect(card.locator(f'[data-media-run="{b}"]')).to_contain_text("beta step 1")
    img = card.locator(f'[data-media-run="{a}"] img')
    wait_until(lambda: img.evaluate("e => e.complete && e.naturalWidth") == 4, what="alpha's image")

    card.get_by_label("media key").select_option("evals")
    joined = card.get_by_test_id("joined-table")
    row = joined.locator("tbody tr", has_text="capital of France?")
    expect(row).to_contain_text("Paris")
    expect(row).to_contain_text("Lyon")
    expect(joined.locator("tbody tr", has_text="2+2?")).to_contain_text("five")


def test_media_fit_a_phone(server: Server, chromium: Browser) -> None:
    a = _run("alpha", {"a very long prompt " * 8: "an even longer answer " * 10})
    b = _run("beta", {"a very long prompt " * 8: "short"})
    _finished(server, a, b)
    ctx = chromium.new_context(viewport={"width": 390, "height": 844})
    pg = ctx.new_page()
    try:
        for url in (f"/runs/{a}", f"/compare?runs={a},{b}"):
            pg.goto(server.url + url)
            expect(pg.locator(".media-panel, [data-testid=compare-media]").first).to_be_visible()
            pg.wait_for_timeout(300)  # let the images and table lay out
            assert pg.evaluate("document.documentElement.scrollWidth") <= 390, url
    finally:
        ctx.close()

"""Take phone-size screenshots of the main pages, light and dark, into a folder.

Usage: .venv/bin/python tools/screenshots.py OUT_DIR [BASE_URL]
Expects a running server (make run) with an empty or demo database; signs up a fresh user.
"""

import sys
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


def main(out: Path, base: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    email = f"shot-{uuid.uuid4().hex[:8]}@example.org"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for scheme in ("light", "dark"):
            ctx = browser.new_context(
                viewport={"width": 390, "height": 844}, color_scheme=scheme,
                device_scale_factor=1, timezone_id="Europe/London",
            )
            page = ctx.new_page()
            if scheme == "light":
                page.goto(base + "/signup")
                page.fill("#email", email)
                page.fill("#display_name", "Ana")
                page.fill("#password", "a quiet morning walk")
                page.click("button[type=submit]")
                page.fill("#nickname", "Robin")
                page.fill("#birth_year", "2022")
                page.click("button[type=submit]")
            else:
                page.goto(base + "/login")
                page.fill("#email", email)
                page.fill("#password", "a quiet morning walk")
                page.click("button[type=submit]")
            page.goto(base + "/")
            page.screenshot(path=str(out / f"home-{scheme}.png"), full_page=True)
            page.click("text=Comfort me")
            page.screenshot(path=str(out / f"moment-{scheme}.png"))
            page.screenshot(path=str(out / f"moment-full-{scheme}.png"), full_page=True)
            page.click("label:has-text('Held or comforted')")
            if scheme == "light":
                page.click("label:has-text('It went sideways')")
            page.click(".sticky-save button")
            page.screenshot(path=str(out / f"prompt-{scheme}.png"))
            page.goto(base + "/")
            page.screenshot(path=str(out / f"home-after-{scheme}.png"), full_page=True)
            page.goto(base + "/today")
            page.screenshot(path=str(out / f"day-{scheme}.png"), full_page=True)
            for path in sys.argv[3:]:
                page.goto(base + path)
                name = path.strip("/").replace("/", "_") or "root"
                page.screenshot(path=str(out / f"{name}-{scheme}.png"), full_page=True)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:5000")

"""Take phone-size screenshots of the main pages, light and dark, into a folder.

Usage: .venv/bin/python tools/screenshots.py OUT_DIR [BASE_URL [PATH …]]
Expects a running server (make run) with an empty or demo database and no MAIL_SERVER; signs up
a fresh user through the link the server writes to its outbox (instance/outbox, or MAIL_OUTBOX).
"""

import email
import email.policy
import os
import re
import sys
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUTBOX = Path(os.environ.get("MAIL_OUTBOX") or ROOT / "instance" / "outbox")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


def newest_link(to: str, path_start: str) -> str:
    """Return the link starting with path_start in the newest outbox email to `to`."""
    for path in sorted(OUTBOX.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            return re.search(r"https?://\S+" + re.escape(path_start) + r"\S+",
                             message.get_content()).group(0)
    raise SystemExit(f"no email to {to} in {OUTBOX}")


def main(out: Path, base: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    address = f"shot-{uuid.uuid4().hex[:8]}@example.org"
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
                page.fill("#email", address)
                page.fill("#display_name", "Ana")
                page.fill("#password", "a quiet morning walk")
                page.click("button[type=submit]")
                page.wait_for_url("**/signup/check-email")
                page.screenshot(path=str(out / f"check-email-{scheme}.png"), full_page=True)
                page.goto(newest_link(address, "/signup/confirm/"))
                page.screenshot(path=str(out / f"confirm-signup-{scheme}.png"), full_page=True)
                page.click("main form button[type=submit]")
                page.fill("#nickname", "Robin")
                page.fill("#birth_year", "2022")
                page.click("button[type=submit]")
            else:
                page.goto(base + "/login")
                page.fill("#email", address)
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

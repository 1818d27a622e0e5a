"""Bytes a signed-in reader's browser transfers for the employee list: first visit, then a second one.

Usage (against a running server, see docs/UX.md):
    PASSWORD=... .venv/bin/python tools/page_weight.py http://127.0.0.1:8701 USERNAME

Prints one table row per visit: requests sent over the network, requests answered from the browser cache, and
bytes on the wire (headers and compressed bodies, as Chromium's DevTools counts them).
"""

import argparse
import os

from playwright.sync_api import sync_playwright

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def measure(page, cdp, url):
    counts = {"network": 0, "cached": 0, "bytes": 0}

    def finished(event):
        counts["bytes"] += event["encodedDataLength"]

    def sent(event):
        counts["network"] += 1

    def cached(event):
        counts["cached"] += 1
        counts["network"] -= 1

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.requestServedFromCache", cached)
    page.goto(url, wait_until="networkidle")
    cdp.remove_listener("Network.loadingFinished", finished)
    cdp.remove_listener("Network.requestWillBeSent", sent)
    cdp.remove_listener("Network.requestServedFromCache", cached)
    return counts


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base_url")
    parser.add_argument("username", help="an account whose password is in the PASSWORD environment variable")
    parser.add_argument("--path", default="/", help="page to weigh (default: the list)")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_FLAGS
        )
        page = browser.new_page()
        page.goto(f"{args.base_url}/accounts/login/")
        page.get_by_label("Username").fill(args.username)
        page.get_by_label("Password").fill(os.environ["PASSWORD"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        # A fresh cache, so that the first visit really is one.
        cdp.send("Network.clearBrowserCache")
        rows = [("first visit", measure(page, cdp, args.base_url + args.path))]
        rows.append(("second visit", measure(page, cdp, args.base_url + args.path)))
        browser.close()
    print(f"{'page ' + args.path:<16} {'network requests':>17} {'from cache':>11} {'KB transferred':>15}")
    for name, counts in rows:
        print(f"{name:<16} {counts['network']:>17} {counts['cached']:>11} {counts['bytes'] / 1024:>15.1f}")


if __name__ == "__main__":
    main()

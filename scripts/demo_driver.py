"""Runs a quickstart program as a user would: when it prints an authorization link, opens the link
with an HTTP client that follows redirects (standing in for the user's click through the consent
page), then presses Enter. Usage: demo_driver.py COMMAND [ARGS...]"""

import re
import subprocess
import sys
import urllib.request

LINK = re.compile(r"https?://\S+/connect/\S+")

proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
assert proc.stdout is not None and proc.stdin is not None
for line in proc.stdout:
    sys.stdout.write(line)
    sys.stdout.flush()
    found = LINK.search(line)
    if found:
        with urllib.request.urlopen(found.group(0)) as page:
            print(f"[demo] opened the link as the user would: {page.status} at {page.url.split('?')[0]}", flush=True)
        proc.stdin.write("\n")
        proc.stdin.flush()
sys.exit(proc.wait())

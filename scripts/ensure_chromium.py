"""`make test`'s first step: a headless Chromium for the browser tests, installed when missing.

Debian's `chromium` with apt-get when possible, else Playwright's installer, else it stops
with the exact command to run (see swerve/chromium.py).
"""

import sys

from swerve.chromium import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m scenarios``: rewrite index.py from the scenario modules (after adding, renaming or
moving a scenario); ``--check``: only say whether it is up to date (exit 1 when stale)."""

import sys

from scenarios import HERE, index_source

path = HERE / "index.py"
text = index_source()
if path.read_text() == text:
    print(f"{path}: up to date")
elif sys.argv[1:] == ["--check"]:
    print(f"{path}: stale; run python -m scenarios")
    sys.exit(1)
else:
    path.write_text(text)
    print(f"{path}: written")

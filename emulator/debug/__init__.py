"""Working on a recorded run: replay it, shrink it, explain it (text and HTML)."""

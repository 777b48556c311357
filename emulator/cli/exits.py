"""Exit status of every ``pcemu`` command (DESIGN.md section 7), defined once."""

CLEAN = 0  # clean run, replay reproduced, command done
FOUND = 1  # a violation found, a replay diverged, an unexpected soak finding (--fail-on)
BAD = 2  # bad input or usage: one line on stderr naming the bad value and the fix

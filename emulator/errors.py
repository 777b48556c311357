"""Bad input: reported as one line naming the bad value and the fix, exit status 2."""


class BadInput(Exception):
    """A user error (unknown scenario, bad option, unreadable log ...). Message = the one line."""

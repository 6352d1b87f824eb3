"""aplusctl: Amazon A+ Content as code."""

__version__ = "0.1.0"

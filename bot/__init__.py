"""A multilingual assistant that tells migrants what health care and protection they can get."""

__version__ = "0.1.0"

"""livemon: compliance monitor for Chinese live-selling rooms."""

__version__ = "0.1.0"
__all__ = ["__version__"]

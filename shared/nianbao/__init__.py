"""nianbao (年报): checks government information disclosure annual reports."""

__version__ = "0.1.0"

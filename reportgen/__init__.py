"""reportgen: track the indicators of provincial science, technology and
digital-transformation plans, from the plan's appendix to the signed report."""

__version__ = "0.1.0"

__all__ = ["__version__"]

"""Synthetic annual reports with known truth, rendered the ways real ones come."""

from tests.synth.render import Layout, render_text
from tests.synth.truth import Truth, blank_cells, only_totals, random_truth

__all__ = ["Layout", "Truth", "blank_cells", "only_totals", "random_truth", "render_text"]

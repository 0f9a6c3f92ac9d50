"""Seedbed: grow curated LLM training data from a handful of seed tasks."""

__version__ = "0.1.0"

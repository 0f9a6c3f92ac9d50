"""Measuring a selection.

The rows, the report, diversity and text metrics, coverage, utility, embeddings.
"""

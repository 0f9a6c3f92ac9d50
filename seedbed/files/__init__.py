"""Everything that crosses a file boundary.

Formats, records, bundles, splits, the dataset card, recipes, imports, seeds, presets.
"""

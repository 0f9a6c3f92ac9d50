"""Human and AI curation.

Claims and decisions, bulk decisions, agreement, preference pairs, the judge, neighbours.
"""

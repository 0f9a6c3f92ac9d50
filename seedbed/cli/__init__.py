"""`python -m seedbed ...`: the command line."""

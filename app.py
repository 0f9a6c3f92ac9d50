"""Seedbed: the router's entry file. Pages live in pages/; the logic lives in seedbed/.

Each run checks who is signed in and reaches `st.navigation` (components/router.py).
"""

from components.router import route

route()

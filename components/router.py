"""The router: who is signed in, then `st.navigation` on every run, the page run inside it.

app.py calls `route()` and nothing else. Streamlit also serves the `pages/` folder by URL,
running a page file by itself (without app.py, so without the sign-in check), until some
session of the server first calls `st.navigation`; there is no option to turn that off,
and AppTest runs page files that way after its first run too. So every page's first line
is `require_router()`: a page run by itself routes from there, with the same sign-in check,
and stops; a page run by `route()` goes on.
"""

from __future__ import annotations

import threading

import streamlit as st

from components.auth import sign_in_page, signed_in
from components.job_progress import resume_interrupted_jobs
from components.sidebar import render_sidebar
from components.state import get_store, plain, preload_embedded_model
from seedbed.errors import StorageError

# A script run happens on one thread (the session's script runner), start to end.
_run = threading.local()

# (file stem in pages/, title, icon); the first is the default page.
PAGES = [
    ("overview", "Overview", ":material/home:"),
    ("seeds", "Seeds", ":material/spa:"),
    ("attributes", "Attributes", ":material/tune:"),
    ("generate", "Generate", ":material/auto_awesome:"),
    ("review", "Review", ":material/fact_check:"),
    ("insights", "Insights", ":material/insights:"),
    ("export", "Export", ":material/download:"),
]


def _pages(admin: bool) -> list:
    # Annotators only review.
    chosen = PAGES if admin else [page for page in PAGES if page[0] == "review"]
    return [
        st.Page(f"pages/{stem}.py", title=title, icon=icon, default=index == 0)
        for index, (stem, title, icon) in enumerate(chosen)
    ]


def _sign_in_pages() -> list:
    """The sign-in form, at the root and under every page's URL: a bookmark of /generate
    shows the form (not "Page not found") and, signed in, lands on Generate."""
    pages = [st.Page(sign_in_page, title="Sign in", url_path="sign-in", default=True)]
    pages += [st.Page(sign_in_page, title="Sign in", url_path=stem) for stem, _, _ in PAGES]
    return pages


def route() -> None:
    """Sign-in check, sidebar and `st.navigation`, then the chosen page (every run).

    Signed out, only the sign-in form is registered (the menu hidden), so every URL
    lands on it and no page can run.
    """
    st.set_page_config(page_title="Seedbed", page_icon="🌱", layout="wide")
    # Once per server process, on a background thread: the first page view starts it, and
    # the model is ready by the time anyone clicks Generate.
    preload_embedded_model()
    try:
        _route()
    except StorageError as error:
        # The store's engine has dropped its connections (seedbed/store/faults.py) and a
        # store that could not open is not cached, so the next run tries afresh.
        st.error(plain(str(error)), icon=":material/database:")
        st.button("Try again", key="storage_retry", type="primary")


def _route() -> None:
    gate = signed_in()
    if gate.closed:
        page = st.navigation(_sign_in_pages(), position="hidden")
    else:
        store = get_store()
        resume_interrupted_jobs(store)  # once per server process: jobs a dead process left
        render_sidebar(store, gate.user)
        page = st.navigation(_pages(gate.user is None or gate.user.is_admin))
    _run.routed = True
    try:
        page.run()
    finally:
        _run.routed = False


def require_router() -> None:
    """First line of every page: a page Streamlit runs by itself is routed here, then stops."""
    if getattr(_run, "routed", False):
        return
    route()
    st.stop()

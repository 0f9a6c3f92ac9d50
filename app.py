"""Seedbed: the router. Pages live in app_pages/; the logic lives in seedbed/.

Why app_pages/ and not pages/: Streamlit serves a folder named `pages/` beside the entry
file by URL, running each file without this script, until some session first calls
st.navigation ("As soon as any session of your app executes the st.navigation command,
your app will ignore the pages/ directory", st.navigation's reference). There is no
option to turn that off, and after every restart the first visitor of /generate would get
the page without sign-in or this sidebar. A folder with any other name is never
discovered: pages run only when st.navigation below picks them.
"""

import streamlit as st

from components.auth import sign_in_page, signed_in
from components.job_progress import resume_interrupted_jobs
from components.sidebar import render_sidebar
from components.state import get_store

st.set_page_config(page_title="Seedbed", page_icon="🌱", layout="wide")


# (file stem in app_pages/, title, icon); the first is the default page.
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
        st.Page(f"app_pages/{stem}.py", title=title, icon=icon, default=index == 0)
        for index, (stem, title, icon) in enumerate(chosen)
    ]


def _sign_in_pages() -> list:
    """The sign-in form, at the root and under every page's URL: a bookmark of /generate
    shows the form (not "Page not found") and, signed in, lands on Generate."""
    pages = [st.Page(sign_in_page, title="Sign in", url_path="sign-in", default=True)]
    pages += [st.Page(sign_in_page, title="Sign in", url_path=stem) for stem, _, _ in PAGES]
    return pages


# Every run reaches st.navigation. Signed out, only the sign-in form is registered (the
# menu hidden), so every URL lands on it and no page can run.
gate = signed_in()
if gate.closed:
    st.navigation(_sign_in_pages(), position="hidden").run()
else:
    store = get_store()
    resume_interrupted_jobs(store)  # once per server process: jobs a dead process left
    render_sidebar(store, gate.user)
    st.navigation(_pages(gate.user is None or gate.user.is_admin)).run()

"""The Streamlit pieces of the Review page."""

"""The Streamlit pieces of the Insights page."""

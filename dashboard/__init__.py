"""Molva's Streamlit dashboard (``molva dashboard``): overview, competitors, explorer, support queue, sources."""

"""Chains models arrive with the chains issue."""

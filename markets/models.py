"""Markets models arrive with the markets issue."""

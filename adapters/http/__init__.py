"""The HTTP front: the API (api/), the console (console/), and what both share."""

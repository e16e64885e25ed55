"""Read models: the plain, JSON-ready dicts that the API returns and the HTML pages render.

One module per page kind (``standards``, ``products``, ``groups``, ``labs``, ``browse``, ``coverage``, ``export``), one
function per page, so a page and its ``/api/…`` twin show the same data by construction. ``refs`` holds
how one record appears inside another's page; ``criteria`` the criteria rows with their labs. Public pages
only ever see APPROVED mappings; suggestions are for curators. ``today`` is a parameter so validity flags
(lapsed, expiring within 90 days) are testable. URLs come from ``kb.urls``.
"""

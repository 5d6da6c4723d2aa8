"""Server-rendered public pages (complaint form, receipt, tracking) and their static assets.

`render` builds the Jinja2 environment on first use, so importing this package costs nothing on the cold path
of requests that render no page.
"""

"""The reviewer console: server-rendered pages under ``/console`` over the same queue functions as the API.

``session`` (the signed cookie and its secret), ``ratelimit`` (failed logins), ``views`` (what
the pages show: highlighted context, evidence links, the room's history), ``labels`` (Chinese
words and messages), ``routes`` (the pages, forms and evidence); ``templates/`` (Jinja2,
autoescaped) and ``static/`` (CSS and JS, no build step).
"""

from monitor.service.console.routes import install_console

__all__ = ["install_console"]

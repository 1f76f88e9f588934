"""One self-contained HTML file of a topic map: ``map.js`` and ``map.css`` (the web page's own)
inlined with the map's data, nothing fetched from anywhere, readable offline.

The data goes in a ``<script type="application/json">`` block with ``<``, ``>`` and ``&`` written
as JSON escapes, so no title can close the block or open a tag; map.js puts every text on the
page through ``textContent``. The page title is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
# the file may run its own inline script and style, and fetch nothing at all
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def standalone_html(data: dict[str, Any], title: str) -> str:
    """The page: a heading, the map (``data`` as ``MapResult.to_dict`` gives it; each paper may carry
    a ``url`` that a click opens), the topic list. ``title`` is plain text."""
    script = (STATIC / "map.js").read_text(encoding="utf-8").replace("</", "<\\/")
    style = (STATIC / "map.css").read_text(encoding="utf-8").replace("</", "<\\/")
    heading = html.escape(title)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{heading}</title>
<style>
body {{ margin: 0 auto; max-width: 1100px; padding: 12px 20px; font: 15px/1.5 system-ui, sans-serif; color: #1d2329; }}
a {{ color: #1f5fbf; }}
{style}
</style>
</head>
<body>
<h1>{heading}</h1>
<div class="pa-map">
<p class="pa-map-status">This map needs JavaScript.</p>
<script type="application/json" class="pa-map-data">{script_json(data)}</script>
</div>
<script>
{script}
</script>
</body>
</html>
"""

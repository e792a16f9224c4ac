"""URLs as graphmem prints them: credentials masked, wherever a URL is shown.

A URL may carry secrets in its userinfo (bolt://neo4j:pw@host, https://TOKEN@host) or in
its query (?api-key=..., &token=...). Settings, doctor, error messages and status lines
show URLs through these functions, never as configured.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "********"
# Query parameters whose values are secrets (api-key, api_key, access_token, sig, ...).
_SECRET_PARAM = re.compile(r"key|token|secret|passw|pwd|sig|auth|credential", re.IGNORECASE)
# A URL inside free text: scheme://, then up to whitespace, a quote or a bracket.
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]{}]+")


def masked_url(url: str) -> str:
    """The URL with any password, token-like userinfo and secret query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a malformed URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if has_password else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def masked_urls_in(text: str) -> str:
    """Free text (an error message) with every URL in it masked."""
    return _URL_IN_TEXT.sub(lambda match: masked_url(match.group(0)), text)

"""URLs as graphmem prints them: credentials masked, wherever a URL is shown.

A URL may carry secrets in its userinfo (bolt://neo4j:pw@host, https://TOKEN@host) or in
its query (?api-key=..., &token=...). Settings, doctor, error messages and status lines
show URLs through these functions, never as configured.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "********"
# A Bolt URI and a routing one reach the same server: neo4j:// asks it for a routing table,
# bolt:// talks to it directly. The +s / +ssc suffixes only say how TLS is checked.
_SAME_TRANSPORT = {"neo4j": "bolt", "neo4j+s": "bolt+s", "neo4j+ssc": "bolt+ssc"}
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


def same_server(a: str, b: str) -> bool:
    """Whether two Neo4j URIs name the same server: bolt://host:port and the routing
    neo4j://host:port do (default port 7687), whatever case the host is written in."""
    try:
        first, second = urlsplit(a), urlsplit(b)
        ports = (first.port or 7687, second.port or 7687)
    except ValueError:
        return False
    schemes = [_SAME_TRANSPORT.get(u.scheme, u.scheme) for u in (first, second)]
    hosts = [(u.hostname or "").lower() for u in (first, second)]
    return schemes[0] == schemes[1] and hosts[0] == hosts[1] and ports[0] == ports[1]

"""Readable device names ("Chrome 120 on Linux") from a session's User-Agent string."""

from __future__ import annotations

from functools import lru_cache

import ua_parser

UNKNOWN_DEVICE = "Unknown device"
# A user's sessions repeat a handful of browsers; parsing runs the parser's regexes.
PARSED_AGENTS_KEPT = 512


@lru_cache(maxsize=PARSED_AGENTS_KEPT)
def device_name(user_agent: str | None) -> str:
    """The browser and system a User-Agent names, or "Unknown device"."""
    if not user_agent:
        return UNKNOWN_DEVICE
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    if browser == "Other":
        browser = None
    if browser and parsed.user_agent.major:
        browser = f"{browser} {parsed.user_agent.major}"
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else None
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or UNKNOWN_DEVICE

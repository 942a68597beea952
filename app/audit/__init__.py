"""The audit trail: security events in `audit_events`, mirrored on the `app.audit` log.

Import `record_event` from here; this package must not import `app.auth` (auth records
events through it, never the other way round).
"""

from app.audit.service import record_event

__all__ = ["record_event"]

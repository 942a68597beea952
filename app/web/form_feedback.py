"""What a refused form post hands back to its page: the message, field errors, kept values.

app.web.forms stores it on `flask.g` and re-renders the form's page (its GET view); the
page's template reads it through `form_feedback()` to mark the fields and refill them.
Secrets are never refilled: no password, code or CSRF field goes back into the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g

# Fields whose value never goes back into the page: secrets, and the hidden plumbing that
# the template writes itself.
NEVER_KEPT = ("password", "code", "csrf_token", "credential", "ceremony", "next", "page")
MAX_KEPT_LENGTH = 1000
MAX_CHOICES = 50  # more boxes than any form of ours has
GENERIC_FIELD_SUMMARY = "Please correct the fields marked below."


@dataclass(frozen=True)
class FormFeedback:
    """The refused form (by endpoint), why, and what the visitor typed."""

    endpoint: str | None = None
    detail: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    # Every value of each field, for a group of tick boxes sharing one name (scopes).
    choices: dict[str, list[str]] = field(default_factory=dict)

    def refused(self, endpoint: str) -> bool:
        """True when the form posting to `endpoint` is the one that was refused."""
        return self.endpoint is not None and self.endpoint == endpoint

    def field_errors(self, endpoint: str, name: str) -> list[str]:
        """The messages for one field of that form."""
        return self.errors.get(name, []) if self.refused(endpoint) else []

    def value(self, endpoint: str, name: str) -> str:
        """What the visitor typed in that field (never a secret), or ''."""
        return self.values.get(name, "") if self.refused(endpoint) else ""

    def chosen(self, endpoint: str, name: str, value: str) -> bool:
        """True when the visitor ticked `value` among the boxes named `name` of that form."""
        return self.refused(endpoint) and value in self.choices.get(name, [])

    def summary(self, endpoint: str, shown: tuple[str, ...] = ()) -> list[str]:
        """Sentences above the form: the problem, and errors of fields the form lacks."""
        if not self.refused(endpoint):
            return []
        unplaced = [message for name, messages in self.errors.items() if name not in shown
                    for message in messages]
        if not self.errors:
            return [self.detail]
        if len(unplaced) == sum(len(messages) for messages in self.errors.values()):
            return unplaced  # nothing marked beside a field: the messages are the summary
        return [GENERIC_FIELD_SUMMARY, *unplaced]


NO_FEEDBACK = FormFeedback()


def kept_values(form: dict[str, str]) -> dict[str, str]:
    """The posted text fields worth refilling: no secrets, nothing over-long."""
    return {name: value for name, value in form.items()
            if not any(secret in name for secret in NEVER_KEPT)
            and isinstance(value, str) and len(value) <= MAX_KEPT_LENGTH}


def kept_choices(form: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every posted value of each field worth refilling, for tick boxes sharing a name."""
    return {name: [value for value in values if len(value) <= MAX_KEPT_LENGTH][:MAX_CHOICES]
            for name, values in form.items() if not any(secret in name for secret in NEVER_KEPT)}


def set_form_feedback(feedback: FormFeedback) -> None:
    """Hand the refused form's feedback to the page about to be rendered."""
    g.form_feedback = feedback


def form_feedback() -> FormFeedback:
    """The feedback of this request's refused form, or an empty one."""
    return g.get("form_feedback", NO_FEEDBACK)

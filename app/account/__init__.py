"""The account lifecycle: registration, email flows, invitations, password change, deletion,
export."""

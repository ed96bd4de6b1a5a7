"""Refusals a person can act on. `str(error)` is the sentence shown to them."""


class FollowUpError(Exception):
    """A use case refused: nothing was changed, and the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownTeam(FollowUpError):
    pass


class UnknownLead(FollowUpError):
    pass


class UnknownMember(FollowUpError):
    pass


class LeadClosed(FollowUpError):
    pass


class NotAllowed(FollowUpError):
    pass


class InvalidTouch(FollowUpError):
    pass

"""Anyone who knows helps: in the open and both mentor models any employee offers, in chat, to
help on topics they know ("voin auttaa excelissä"), and withdraws at any time ("stop helping").

The offer is a row of its own (storage/helper_repository.py); the offer rounds read it
(dialogs/flows/offer_rounds.py) and the directory derives the "helper" role from it, which lets
a helper use `my requests`, `log` and `my hours` like a mentor.
"""

from __future__ import annotations

from cards.i18n import Texts
from dialogs.flows.directory import Directory
from dialogs.flows.faq_library import FaqLibrary
from dialogs.replies import Reply
from dialogs.rules.people import Member
from dialogs.rules.topics import topics_named
from storage.helper_repository import HelperRepository

# How many known topics a refusal lists as examples.
EXAMPLE_TOPICS = 8


class OpenHelpers:
    def __init__(self, helpers: HelperRepository, directory: Directory, library: FaqLibrary) -> None:
        self._helpers = helpers
        self._directory = directory
        self._library = library

    async def known_topics(self) -> set[str]:
        """The topics questions can have: those of the FAQ's entries (a request takes its topic
        from the entry the asker was shown or the closest one)."""
        return await self._library.topics()

    async def offer(self, member: Member, argument: str, texts: Texts) -> Reply:
        """`I can help with <topics>`: adds the named topics to the member's offer of help."""
        # A named mentor is told so in every model ("tell your coordinator if you would like to
        # be one" would be odd for them).
        if member.has_role("mentor"):
            return Reply(text=texts("helpers.are_mentor"))
        if not (await self._directory.settings()).open_helpers:
            return Reply(text=texts("helpers.named_model"))
        if member.person_id is None:
            return Reply(text=texts("helpers.not_in_directory"))
        known = await self.known_topics()
        named, unknown = topics_named(argument, known)
        examples = ", ".join(sorted(known)[:EXAMPLE_TOPICS])
        if not named:
            if unknown:
                return Reply(text=texts("helpers.offered_unknown", unknown=", ".join(unknown), known=examples))
            return Reply(text=texts("helpers.usage", known=examples))
        topics = await self._helpers.offer(member.person_id, named)
        if topics is None:
            return Reply(text=texts("helpers.removed_by_coordinator"))
        self._directory.forget()  # the "helper" role, at once in this process
        text = texts("helpers.offered", topics=", ".join(topics))
        if unknown:
            text += "\n\n" + texts("helpers.offered_unknown", unknown=", ".join(unknown), known=examples)
        return Reply(text=text)

    async def stop(self, member: Member, texts: Texts) -> Reply:
        """`stop helping`: no new offers from now on; requests already accepted stay theirs."""
        if not await self._helpers.withdraw(member.person_id):
            return Reply(text=texts("helpers.not_helping"))
        self._directory.forget()
        return Reply(text=texts("helpers.stopped"))

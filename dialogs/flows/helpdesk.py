"""The IT helpdesk handing know-how to the digimentors: an agent who is a bot user (the helpdesk
role in the organisation file) writes `mentor @person <question>`, or names the person by e-mail,
and the question becomes that person's own request in their unit, as if they had asked. The asker
is told in their chat with the bot, with their waiting card (so they can cancel), and the agent
gets a confirmation. The question goes through the privacy guard like any other."""

from __future__ import annotations

import logging

from cards.helpdesk import contact_name
from cards.i18n import Texts
from dialogs.flows.asking import Asking, masked_notice
from dialogs.flows.directory import Directory
from dialogs.flows.request_actions import RequestActions
from dialogs.replies import Reply
from dialogs.rules.helpdesk import Referral, named_as_written, parse_referral, split_named
from dialogs.rules.people import Member
from dialogs.rules.units import unit_name
from storage.directory_repository import DirectoryRepository, PersonSummary

log = logging.getLogger(__name__)


class HelpdeskReferrals:
    def __init__(self, asking: Asking, requests: RequestActions, directory: Directory,
                 directory_repository: DirectoryRepository) -> None:
        self._asking = asking
        self._requests = requests
        self._directory = directory
        self._directory_repository = directory_repository

    async def refer(self, agent: Member, argument: str, texts: Texts) -> Reply | None:
        """The agent's reply when `argument` names someone; None when it is the agent's own
        question (no @, no e-mail address, and no person's name first)."""
        referral = parse_referral(argument)
        if referral is None:
            return None
        found = await self._named(referral)
        if found is None:
            if not referral.explicit:
                return None
            who = referral.email or "@" + named_as_written(referral.named or "")
            return Reply(text=texts("helpdesk.referral_unknown", who=who))
        people, question = found
        if len(people) > 1:
            return Reply(text=texts("helpdesk.referral_ambiguous", name=people[0].name))
        [person] = people
        if person.aad_object_id == agent.aad_object_id or not (question or referral.explicit):
            return None  # "mentor <my own name> ...", or a name and nothing to hand on
        if not question:
            return Reply(text=texts("helpdesk.referral_usage"))
        return await self._hand_on(agent, person, question, texts)

    async def _hand_on(self, agent: Member, person: PersonSummary, question: str, texts: Texts) -> Reply:
        asker = await self._directory.member(person.aad_object_id)
        question_id, guarded = await self._asking.record_direct(asker, question, Texts(asker.preferred_language(None)),
                                                                filed_by=agent.person_id)
        # The asker is told in the question's language, like every message about their request.
        language_texts = Texts(guarded.language)
        helpdesk = (await self._directory.settings()).helpdesk or {}
        told = language_texts("helpdesk.referred_asker", agent=agent.name,
                              helpdesk=contact_name(language_texts, helpdesk))
        await self._requests.ask_on_behalf(asker, question_id, told)
        log.info("question handed to the digimentors by the helpdesk", extra={"question_id": question_id})
        names = await self._directory_repository.unit_names()
        confirmation = texts("helpdesk.referred_agent", name=person.name,
                             unit=unit_name(names, person.unit_id, texts.language) or "–")
        return Reply(text=confirmation, notice=masked_notice(texts, guarded.text))

    async def _named(self, referral: Referral) -> tuple[list[PersonSummary], str] | None:
        """(everyone the referral names, the question after the name), or None for nobody."""
        if referral.email is not None:
            person = await self._directory_repository.person_by_email(referral.email)
            return ([person], referral.question or "") if person else None
        text = referral.named or ""
        words = text.split()
        if not words:
            return None
        people = await self._directory_repository.named_like(words[0])
        split = split_named(text, [p.name for p in people])
        if split is None:
            return None
        name, question = split
        return [p for p in people if " ".join(p.name.split()).casefold() == name], question

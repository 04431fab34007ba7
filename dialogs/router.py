"""Where a turn gets its meaning: text becomes a command or a question, a card click becomes
its flow, and roles are checked here, once, for both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cards.help import help_card
from cards.i18n import Texts
from cards.welcome import welcome_card
from dialogs.card_action import CardAction
from dialogs.commands import Command, names_a_report, offers_help, parse_command
from dialogs.flows.asking import masked_notice
from dialogs.replies import Reply, refused
from dialogs.rules.limits import MAX_QUESTION_CHARACTERS
from dialogs.rules.people import Member
from dialogs.wiring import Flows

CommandHandler = Callable[[Member, str, Texts, bool], Awaitable[Reply]]
VerbHandler = Callable[[CardAction, Member, Texts], Awaitable[Reply]]


@dataclass(frozen=True)
class Verb:
    handler: VerbHandler
    role: str | tuple[str, ...] | None = None  # any one of several roles may


class Router:
    def __init__(self, flows: Flows) -> None:
        asking, requests, faq_admin = flows.asking, flows.requests, flows.faq_admin
        tools, reports, admin = flows.mentor_tools, flows.reports, flows.mentor_admin
        rounds, answering, results = flows.survey_rounds, flows.survey_answering, flows.survey_results
        agreements = flows.agreements
        self._asking = asking
        self._survey_commands: dict[str | None, CommandHandler] = {
            None: lambda m, a, t, s: rounds.form(m, t),
            "status": lambda m, a, t, s: rounds.status(m, t),
            "results": lambda m, a, t, s: results.results(m, a, t),
        }
        self._answering = answering
        self._commands: dict[str, CommandHandler] = {
            "help": lambda m, a, t, s: self._help(m, t),
            "mentor": self._ask_mentor,
            "available": lambda m, a, t, s: tools.available(m, t),
            "away": lambda m, a, t, s: tools.away(m, a, t),
            "my requests": lambda m, a, t, s: requests.my_requests(m, t),
            "log": lambda m, a, t, s: tools.log(m, a, t),
            "my hours": lambda m, a, t, s: tools.my_hours(m, t),
            "stats": lambda m, a, t, s: reports.stats(m, a, t),
            "gaps": lambda m, a, t, s: reports.gaps(m, t),
            "export": lambda m, a, t, s: reports.export(m, a, t),
            "mentors": lambda m, a, t, s: admin.overview(m, t),
            "faq": lambda m, a, t, s: faq_admin.form(a.strip(), t),
            "survey": self._survey,
            "coverage": lambda m, a, t, s: flows.coverage.report(m, t),
            "announce": lambda m, a, t, s: flows.announcements.form(m, t),
            "impact": lambda m, a, t, s: flows.impact.report(m, a, t),
            "book": lambda m, a, t, s: flows.sessions.form(m, t),
            "help with": lambda m, a, t, s: flows.open_helpers.offer(m, a, t),
            "stop helping": lambda m, a, t, s: flows.open_helpers.stop(m, t),
            "agreement": lambda m, a, t, s: agreements.form(m, t),
            "my agreements": lambda m, a, t, s: agreements.mine(m, t),
            "log agreement": lambda m, a, t, s: agreements.log_typed(m, a, t),
        }
        self._verbs: dict[str, Verb] = {
            "showFaq": Verb(asking.show_suggestion),
            "faqHelpful": Verb(asking.rate_answer),
            "askMentor": Verb(requests.ask_from_card),
            "cancelRequest": Verb(requests.cancel),
            "rateHelp": Verb(requests.rate),
            "reopenRequest": Verb(requests.reopen),
            "acceptRequest": Verb(requests.accept),
            "declineRequest": Verb(requests.decline),
            "resolveRequest": Verb(requests.resolve),
            "releaseRequest": Verb(requests.release),
            "openRequest": Verb(requests.open_working_card),
            # These forms are only sent to coordinators, but a forged click must not get through.
            "saveFaq": Verb(faq_admin.save, "coordinator"),
            "draftFaq": Verb(faq_admin.draft, "coordinator"),
            "addMentor": Verb(admin.add, "coordinator"),
            "removeMentor": Verb(admin.remove, "coordinator"),
            "setAllowance": Verb(admin.set_allowance, "coordinator"),
            "removeHelper": Verb(admin.remove_helper, "coordinator"),
            "approveVariant": Verb(faq_admin.approve_variant, "coordinator"),
            "rejectVariant": Verb(faq_admin.reject_variant, "coordinator"),
            "startSurvey": Verb(rounds.start, "coordinator"),
            "closeSurvey": Verb(rounds.close, "coordinator"),
            # Anyone: each answers only the clicker's own response to the round, if they have one.
            "openSurvey": Verb(answering.open),
            "answerSurvey": Verb(answering.answer),
            "bookSurveyMentor": Verb(answering.book),
            "sendAnnouncement": Verb(flows.announcements.send, "coordinator"),
            "showAnnouncement": Verb(flows.announcements.status, "coordinator"),
            # Checked against the deliveries: only a mentor it went to may acknowledge it.
            "acknowledgeAnnouncement": Verb(flows.announcements.acknowledge),
            # Anyone may book; the session's own clicks check the mentor and the named participants.
            "bookSession": Verb(flows.sessions.book),
            "resolveSession": Verb(flows.sessions.resolve),
            "rateSession": Verb(flows.sessions.rate),
            # Peer-mentoring agreements: the flow checks that the clicker is a side of the agreement.
            "createAgreement": Verb(agreements.create, ("mentor", "coordinator")),
            "acceptAgreement": Verb(agreements.accept),
            "declineAgreement": Verb(agreements.decline),
            "closeAgreement": Verb(agreements.close),
            "evaluateAgreement": Verb(agreements.evaluate),
            "logAgreementMeeting": Verb(agreements.log_clicked, ("mentor", "coordinator")),
            "openAgreement": Verb(agreements.open),
        }
        self._requests = requests
        self._tools = tools
        self._helpdesk = flows.helpdesk
        self._unit_ids = flows.unit_ids
        self._helpers = flows.open_helpers
        self._directory = flows.directory

    async def text(self, member: Member, text: str, texts: Texts, *, shared_conversation: bool = False) -> Reply:
        if len(text) > MAX_QUESTION_CHARACTERS:
            return Reply(text=texts("reply.text_too_long", length=len(text), limit=MAX_QUESTION_CHARACTERS))
        units = await self._unit_ids() if names_a_report(text) else ()
        topics = await self._helpers.known_topics() if offers_help(text) else ()
        command = parse_command(text, units, topics)
        if command is not None:
            # A Finnish or Swedish command word is answered in its own language.
            texts = Texts(command.language) if command.language else texts
            return await self._command(command, member, texts, shared_conversation)
        if text:
            return await self._asking.ask(member, text, texts)
        return Reply(text=texts("reply.not_understood"))

    async def action(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        verb = self._verbs.get(action.verb)
        if verb is None:
            return refused(texts, "unknown_action")
        roles = (verb.role,) if isinstance(verb.role, str) else verb.role or ()
        if roles and not any(member.has_role(role) for role in roles):
            return _role_refusal(texts, *roles)
        return await verb.handler(action, member, texts)

    async def installed(self, member: Member, texts: Texts) -> Reply:
        """The app was installed for the person: a welcome, and a mentor can be reached again."""
        await self._tools.installed(member)
        return Reply(card=welcome_card(texts, texts.list("welcome.examples")))

    async def _command(self, command: Command, member: Member, texts: Texts, shared: bool) -> Reply:
        roles = command.required_roles
        if roles and not any(member.has_role(role) for role in roles):
            refusal = _role_refusal(texts, *roles)
            if command.name == "survey" and command.subcommand is None:
                # Not theirs to start, but an employee typing `survey` may well be looking for
                # the survey they were invited to.
                card = await self._answering.open_invitations(member, texts)
                return Reply(text=texts("survey.yours_below"), card=card) if card else refusal
            return refusal
        return await self._commands[command.name](member, command.argument, texts, shared)

    async def _survey(self, member: Member, argument: str, texts: Texts, shared: bool) -> Reply:
        command = Command("survey", argument)
        return await self._survey_commands[command.subcommand](member, command.subcommand_argument, texts, shared)

    async def _help(self, member: Member, texts: Texts) -> Reply:
        settings = await self._directory.settings()
        return Reply(card=help_card(texts, member.has_role, open_helpers=settings.open_helpers))

    async def _ask_mentor(self, member: Member, text: str, texts: Texts, shared: bool) -> Reply:
        """`mentor <question>`: skip the FAQ and ask a person."""
        if not text:
            return Reply(text=texts("request.mentor_usage"))
        if member.has_role("helpdesk"):
            # `mentor @person <question>`: a helpdesk agent hands a know-how question on.
            referred = await self._helpdesk.refer(member, text, texts)
            if referred is not None:
                return referred
        question_id, question = await self._asking.record_direct(member, text, texts)
        language_texts = Texts(question.language)
        reply = await self._requests.ask(member, question_id, language_texts, shared_conversation=shared)
        return reply.with_notice(masked_notice(language_texts, question.text))


def _role_refusal(texts: Texts, *roles: str) -> Reply:
    named = texts("reply.role_or", first=texts(f"roles.{roles[0]}"), second=texts(f"roles.{roles[1]}")) \
        if len(roles) > 1 else texts(f"roles.{roles[0]}")
    return Reply(text=texts("reply.refused_role", role=named))

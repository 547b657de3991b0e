"""bot.runtime.tracker_states gives the dialogue states Rasa's own replay gives, turn after turn."""
import random

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, DefinePrevUserUtteredFeaturization,
                                     EntitiesAdded, Restarted, SlotSet, UserUttered, UserUtteranceReverted)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime import tracker_states

RASAS = tracker_states.RASAS_STATES_FOR_TRACKER_HISTORY


@pytest.fixture(scope="module")
def domain_and_conversations():
    """Our domain and every story and rule of data/, as the event lists Rasa trains on."""
    importer = TrainingDataImporter.load_from_config("config.yml", "bot/domain", ["data/stories", "data/rules"])
    domain = importer.get_domain()
    generated = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                      use_story_concatenation=False).generate()
    conversations = [list(tracker.events) for tracker in generated]
    assert len(conversations) > 50
    return domain, conversations


def ways_of_asking(domain: Domain):
    """As the policies ask: rules with every turn; memoization and TED without rule-only turns."""
    rule_only = {"slots": [slot.name for slot in domain.slots][:3], "active_loops": list(domain.form_names)[:1]}
    return [dict(ignore_rule_only_turns=False), dict(ignore_rule_only_turns=True),
            dict(ignore_rule_only_turns=True, rule_only_data=rule_only),
            dict(ignore_rule_only_turns=True, rule_only_data=rule_only, omit_unset_slots=True)]


def as_served(events):
    """The events as the Rasa server adds them: the ensemble's featurisation choice after each user
    message (an in-place edit of that message)."""
    served = []
    for event in events:
        served.append(event)
        if isinstance(event, UserUttered):
            served.append(DefinePrevUserUtteredFeaturization(False))
    return served


def assert_same_states_turn_after_turn(domain, events, step_every=1):
    tracker = DialogueStateTracker("test", domain.slots)
    for number, event in enumerate(events):
        tracker.update(event, domain)
        if number % step_every and number != len(events) - 1:
            continue
        for asking in ways_of_asking(domain):
            ours = domain.states_for_tracker_history(tracker, **asking)
            assert ours == RASAS(domain, tracker, **asking), (number, event, asking)


def test_installed_on_rasa_domains():
    assert Domain.states_for_tracker_history is tracker_states.states_for_tracker_history


def test_every_story_and_rule_turn_after_turn(domain_and_conversations):
    domain, conversations = domain_and_conversations
    for events in conversations:
        assert_same_states_turn_after_turn(domain, as_served(events))


def test_undo_restart_and_edits_of_earlier_messages(domain_and_conversations):
    domain, conversations = domain_and_conversations
    chance = random.Random(7)
    for events in chance.sample(conversations, 25):
        edited = []
        for event in as_served(events):
            edited.append(event)
            roll = chance.random()
            if roll < 0.05:
                edited.append(ActionReverted())
            elif roll < 0.08:
                edited.append(UserUtteranceReverted())
            elif roll < 0.10:
                edited.append(EntitiesAdded([{"entity": "district", "value": "福田区", "start": 0, "end": 3}]))
            elif roll < 0.11:
                edited.extend([Restarted(), ActionExecuted(ACTION_LISTEN_NAME)])
        assert_same_states_turn_after_turn(domain, edited)


def test_an_earlier_message_edited_after_its_states_were_made(domain_and_conversations):
    domain, _ = domain_and_conversations
    tracker = DialogueStateTracker("test", domain.slots)
    first = UserUttered("停电了", {"name": "report_outage", "confidence": 0.9})
    for event in [ActionExecuted(ACTION_LISTEN_NAME), first, ActionExecuted("utter_greet"),
                  ActionExecuted(ACTION_LISTEN_NAME)]:
        tracker.update(event, domain)
    before = domain.states_for_tracker_history(tracker)
    first.use_text_for_featurization = True  # an edit Rasa itself only makes before the next action
    tracker.update(SlotSet("district", "福田区"), domain)
    after = domain.states_for_tracker_history(tracker)
    assert after == RASAS(domain, tracker)
    assert after != before


def test_callers_get_their_own_copies(domain_and_conversations):
    domain, conversations = domain_and_conversations
    tracker = DialogueStateTracker.from_events("test", conversations[0], domain.slots)
    first = domain.states_for_tracker_history(tracker)
    for state in first:
        for sub_state in state.values():
            sub_state.clear()  # as the featuriser deletes the text or intent of the last user input
    assert domain.states_for_tracker_history(tracker) == RASAS(domain, tracker)


def test_training_trackers_take_rasas_own_path(domain_and_conversations):
    domain, _ = domain_and_conversations
    importer = TrainingDataImporter.load_from_config("config.yml", "bot/domain", ["data/stories"])
    tracker = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()[0]
    domain.states_for_tracker_history(tracker)
    assert tracker_states.REPLAYS_ATTRIBUTE not in vars(tracker)


def test_later_turns_replay_only_the_new_events(domain_and_conversations, monkeypatch):
    domain, conversations = domain_and_conversations
    copies = []
    real_init_copy = DialogueStateTracker.init_copy
    monkeypatch.setattr(DialogueStateTracker, "init_copy", lambda self: copies.append(1) or real_init_copy(self))
    events = max(conversations, key=len)
    tracker = DialogueStateTracker("test", domain.slots)
    turns = 0
    for event in as_served(events):
        tracker.update(event, domain)
        if isinstance(event, ActionExecuted):
            domain.states_for_tracker_history(tracker, ignore_rule_only_turns=True)
            turns += 1
    assert turns > 5
    assert len(copies) < turns / 2  # a fresh replay only when a form's repeated run rewrote the history

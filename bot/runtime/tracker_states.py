"""Compute a tracker's dialogue states once per turn, not again for every policy and prediction.

Each policy (memoization, rules, TED) asks for the states of the whole conversation before every
prediction, and Rasa 3.6's `Domain.states_for_tracker_history` answers by replaying every event
of the conversation into a fresh copy of the tracker (with a copy of each of our 83 slots):
two or three predictions per message, three policies each, each a full replay. That was about a
sixth of the Rasa server's CPU under load (benchmarks/README.md).

Here the replay is kept with the tracker it belongs to (one per way of asking: with or without
rule-only turns), and the next question replays only the events added since. It is taken up
again only when the events applied before are still the first ones applied now (same objects:
an undo, a restart or a form's repeated execution changes that and the states are computed from
the start, as Rasa does) and no user message in the states kept was changed in place since they
were made (Rasa's `DefinePrevUserUtteredFeaturization` and `EntitiesAdded` edit the latest one,
before the next action in practice). The per-turn logic is Rasa 3.6.21's, unchanged; the
callers get their own copies (the featuriser edits them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

RASAS_STATES_FOR_TRACKER_HISTORY = Domain.states_for_tracker_history

# Where a tracker keeps its replays: an attribute of the tracker, so they go when it goes.
REPLAYS_ATTRIBUTE = "_bot_state_replays"


@dataclass
class _Walk:
    """Rasa's loop variables in states_for_tracker_history."""

    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Optional[Dict[Text, Any]] = None
    turn_was_hidden: bool = False


@dataclass
class _Replay:
    domain: Domain
    rule_only_data: Optional[Dict[Text, Any]]  # kept: the key holds its id
    replayed: DialogueStateTracker  # the tracker's initial copy with `applied` applied to it
    applied: List[Event] = field(default_factory=list)
    walk: _Walk = field(default_factory=_Walk)
    # What the user messages in the states looked like when those states were made (Rasa edits
    # the latest one in place: a later edit means the states kept are stale).
    user_marks: List[Tuple[UserUttered, Any, int]] = field(default_factory=list)


def _user_mark(event: UserUttered) -> Tuple[UserUttered, Any, int]:
    return event, event.use_text_for_featurization, len(event.entities)


def _still_valid(replay: _Replay, domain: Domain, rule_only_data: Optional[Dict[Text, Any]],
                 applied: List[Event]) -> bool:
    if replay.domain is not domain or replay.rule_only_data is not rule_only_data or len(replay.applied) > len(applied):
        return False
    if any(old is not new for old, new in zip(replay.applied, applied)):
        return False
    return all(_user_mark(mark[0]) == mark for mark in replay.user_marks)  # unchanged since kept


def _visit(domain: Domain, walk: _Walk, tr: DialogueStateTracker, hide_rule_turn: bool,
           omit_unset_slots: bool, ignore_rule_only_turns: bool,
           rule_only_data: Optional[Dict[Text, Any]]) -> None:
    """One iteration of the loop of Rasa 3.6.21's `Domain.states_for_tracker_history`."""
    if ignore_rule_only_turns:
        # remember previous ml action based on the last non hidden turn
        if not walk.turn_was_hidden:
            walk.last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        # followup action or happy path loop prediction don't change whether the turn is hidden
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            walk.turn_was_hidden = hide_rule_turn
        if walk.turn_was_hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if walk.states:
            domain._substitute_rule_only_user_input(state, walk.states[-1])
        if walk.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = walk.last_ml_action_sub_state
    walk.states.append(domain._clean_state(state))


def _own_copy(state: State) -> State:
    return {name: dict(sub_state) for name, sub_state in state.items()}


def states_for_tracker_history(self: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
                               ignore_rule_only_turns: bool = False,
                               rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
    """`Domain.states_for_tracker_history`, replaying only the events added since the last call."""
    if type(tracker) is not DialogueStateTracker:  # training's trackers keep their own states
        return RASAS_STATES_FOR_TRACKER_HISTORY(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    applied = tracker.applied_events()
    # Policies pass the same rule-only data object (their graph node's output) on every call.
    key = (omit_unset_slots, ignore_rule_only_turns, id(rule_only_data))
    replays: Dict[Any, _Replay] = tracker.__dict__.setdefault(REPLAYS_ATTRIBUTE, {})
    replay = replays.get(key)
    if replay is None or not _still_valid(replay, self, rule_only_data, applied):
        replay = replays[key] = _Replay(domain=self, rule_only_data=rule_only_data, replayed=tracker.init_copy())
    for event in applied[len(replay.applied):]:
        if isinstance(event, ActionExecuted):  # a state before every action, as Rasa's loop
            _visit(self, replay.walk, replay.replayed, event.hide_rule_turn, omit_unset_slots,
                   ignore_rule_only_turns, rule_only_data)
            user = replay.replayed.latest_message
            if user is not None and not (replay.user_marks and replay.user_marks[-1][0] is user):
                replay.user_marks.append(_user_mark(user))
        replay.replayed.update(event)
        replay.applied.append(event)
    # The state after the last event ends this answer only: the next call goes on without it.
    last = _Walk(list(replay.walk.states), replay.walk.last_ml_action_sub_state, replay.walk.turn_was_hidden)
    _visit(self, last, replay.replayed, False, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    return [_own_copy(state) for state in last.states]


def install() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history

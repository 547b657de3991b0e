"""Slots copied by bot.runtime.slot_copy are what copy.copy made of them before."""
import copy

from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime.slot_copy import copy_slot

DOMAIN = Domain.load("bot/domain")


def generic_copy(slot):
    """Python's own shallow copy of an object, the way copy.copy did it before the change."""
    return copy._reconstruct(slot, None, *slot.__reduce_ex__(4))


def test_installed_on_rasa_slots():
    assert Slot.__copy__ is copy_slot


def test_every_slot_of_the_domain_copies_to_an_equal_independent_object():
    for slot in DOMAIN.slots:
        slot.value = slot.initial_value
        copied = copy.copy(slot)
        assert type(copied) is type(slot) and copied is not slot
        assert vars(copied) == vars(generic_copy(slot))
        copied.value = "改过"
        assert slot.value == slot.initial_value  # the copy's value is its own


def test_trackers_keep_their_own_slots():
    first = DialogueStateTracker("a", DOMAIN.slots)
    second = DialogueStateTracker("b", DOMAIN.slots)
    name = DOMAIN.slots[0].name
    first.slots[name].value = "x"
    assert second.slots[name].value != "x" and DOMAIN.slots[0].value != "x"

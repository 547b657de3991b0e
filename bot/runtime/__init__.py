"""Changes to how the Rasa server runs, none to what it answers; installed when Rasa loads the model.

The Rasa server imports `bot.nlu` and `bot.policies` when it loads the model (config.yml names
their components), and only Rasa processes do (the action server does not); both packages import
this one, which installs each change once. Every module says what it replaces and why; the
figures are in benchmarks/README.md.
- action_reply_validation: action-server replies checked against a schema compiled once;
- action_payload: the tracker sent to the action server encoded with ujson;
- slot_copy: slots copied with one dictionary copy;
- event_types: an event's class found by its type name in a table;
- tracker_states: a tracker's dialogue states replayed once per turn, not per policy;
- graph_dependencies: the nodes a graph run needs, found by visiting each node once;
- graph_runner: graphs run in dependency order without dask's scheduler;
- admission: when busy, messages already started are finished before new ones start;
- gc_freeze: the loaded model left out of Python's full garbage collections;
- log_level: our loggers log at Rasa's level (the server's root logger drops INFO).
"""
from bot.runtime import (action_payload, action_reply_validation, admission, event_types, gc_freeze,
                         graph_dependencies, graph_runner, log_level, slot_copy, tracker_states)

for _change in (action_reply_validation, action_payload, slot_copy, event_types, tracker_states, graph_dependencies,
                graph_runner, admission, gc_freeze, log_level):
    _change.install()

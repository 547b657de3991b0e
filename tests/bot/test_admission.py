"""bot.runtime.admission: when busy, started messages finish first; waiting for the action server
holds no place; errors and cancellations give places back."""
import asyncio

import pytest
from rasa.core.processor import MessageProcessor
from rasa.utils.endpoints import EndpointConfig

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime import admission
from bot.runtime.admission import Admission, admission_for_this_loop, admitted, giving_way


def test_installed_on_rasa_message_handling_and_endpoint_calls():
    assert MessageProcessor.handle_message.__code__.co_name == "handle_when_admitted"
    assert EndpointConfig.request.__code__.co_name == "call_giving_way"


class Server:
    """A message handler shaped like Rasa's: work between calls to the action server. The work is an
    await that keeps the place, as Rasa's tracker store, NLU and policies keep the loop."""

    def __init__(self, action_seconds=0.01, work_seconds=0.003):
        self.log = []
        self.action_seconds = action_seconds
        self.work_seconds = work_seconds
        self.handle = admitted(self._handle)
        self.call_action_server = giving_way(self._call_action_server)

    async def _call_action_server(self, name):
        await asyncio.sleep(self.action_seconds if name != "slow" else 0.5)
        if name == "broken":
            raise ConnectionError("action server down")
        return name

    async def _handle(self, name, calls=1):
        self.log.append(f"start {name}")
        for _ in range(calls):
            await asyncio.sleep(self.work_seconds)
            await self.call_action_server(name)
        await asyncio.sleep(self.work_seconds)
        self.log.append(f"end {name}")
        return name


def run(coroutine):
    return asyncio.run(coroutine)


def test_started_messages_finish_before_new_ones_start():
    async def scenario():
        server = Server()
        results = await asyncio.gather(*(server.handle(name, calls=3) for name in "abcdef"))
        return server.log, results, admission_for_this_loop()

    log, results, state = run(scenario())
    assert results == list("abcdef")
    # `a` gives its place up while the action server works, so `b` may start; but every time an
    # answer comes back, the started message goes before those not started. Without admission all
    # six would start at once and finish together.
    assert log.index("end a") < log.index("start f")
    assert [entry for entry in log if entry.startswith("end")] == [f"end {n}" for n in "abcdef"]
    assert state.holders == 0 and state.waiting == 0


def test_a_quick_action_call_keeps_the_place(monkeypatch):
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "1")

    async def scenario():
        server = Server(action_seconds=0.005)
        await asyncio.gather(server.handle("a", calls=3), server.handle("b", calls=3))
        return server.log

    assert run(scenario()) == ["start a", "end a", "start b", "end b"]


def test_a_slow_action_server_holds_up_no_other_conversation(monkeypatch):
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "1")  # even with a single place

    async def scenario():
        server = Server()
        slow = asyncio.create_task(server.handle("slow"))
        await asyncio.sleep(0.01)
        quick = await asyncio.wait_for(asyncio.gather(*(server.handle(n) for n in "xyz")), timeout=0.4)
        return quick, await slow, server.log

    quick, slow, log = run(scenario())
    assert quick == ["x", "y", "z"] and slow == "slow"
    assert log.index("end z") < log.index("end slow")


def test_in_arrival_order_with_one_place():
    async def scenario():
        state = Admission(1)
        order = []

        async def message(name):
            await state.enter()
            order.append(name)
            await asyncio.sleep(0.001)
            state.leave()

        await asyncio.gather(*(message(n) for n in "abcdef"))
        return order, state

    order, state = run(scenario())
    assert order == list("abcdef") and state.holders == 0


def test_more_places_let_more_messages_run_at_once():
    async def scenario():
        state = Admission(3)
        running = peak = 0

        async def message():
            nonlocal running, peak
            await state.enter()
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.005)
            running -= 1
            state.leave()

        await asyncio.gather(*(message() for _ in range(10)))
        return peak

    assert run(scenario()) == 3


def test_an_error_gives_the_place_back():
    async def scenario():
        server = Server()
        with pytest.raises(ConnectionError):
            await server.handle("broken")
        assert await server.handle("after") == "after"
        return admission_for_this_loop()

    state = run(scenario())
    assert state.holders == 0


def test_a_cancelled_message_gives_its_place_back(monkeypatch):
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "1")

    async def scenario():
        server = Server()
        slow = asyncio.create_task(server.handle("slow"))
        waiting = [asyncio.create_task(server.handle(n)) for n in "pq"]
        await asyncio.sleep(0.02)
        slow.cancel()
        waiting[0].cancel()
        await asyncio.gather(slow, waiting[0], return_exceptions=True)
        assert await waiting[1] == "q"
        assert await server.handle("r") == "r"
        return admission_for_this_loop()

    state = run(scenario())
    assert state.holders == 0 and state.waiting == 0


def test_calls_outside_message_handling_are_untouched():
    async def scenario():
        server = Server()
        return await server.call_action_server("health"), admission_for_this_loop()

    result, state = run(scenario())
    assert result == "health" and state.holders == 0


@pytest.mark.parametrize("value", ["0", "zwei", "-1"])
def test_a_malformed_limit_is_refused_with_its_name(monkeypatch, value):
    monkeypatch.setenv(admission.LIMIT_VARIABLE, value)
    with pytest.raises(ValueError, match=admission.LIMIT_VARIABLE):
        Admission(admission.limit_from_environment())


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "3")

    async def scenario():
        return admission_for_this_loop().limit

    assert run(scenario()) == 3

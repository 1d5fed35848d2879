"""Full garbage collections are put off while the analyst waits for a key's work, and run when the app is idle."""

from __future__ import annotations

import asyncio
import gc

from explorer import idle_gc
from explorer.app import ExplorerApp
from explorer.idle_gc import DUE, OVERDUE, PUT_OFF, IdleCollector
from conftest import settle


def _make_due(count: int) -> None:
    """`count` collections of the middle generation, as Python's own would count them towards a full one."""
    for _ in range(count):
        gc.collect(1)


def test_full_collections_are_put_off_then_given_back():
    before = gc.get_threshold()
    collector = IdleCollector(busy=lambda: False)
    collector.start()
    try:
        assert gc.get_threshold() == (before[0], before[1], PUT_OFF)
    finally:
        collector.stop()
    assert gc.get_threshold() == before


def test_a_due_collection_waits_for_the_app_to_be_idle(monkeypatch):
    busy = [True]
    collector = IdleCollector(busy=lambda: busy[0])
    collector.start()
    try:
        gc.collect()
        _make_due(DUE)
        monkeypatch.setattr(idle_gc, "IDLE_SECONDS", 0.0)
        collector.check()  # a worker is running
        assert collector.collections == 0 and gc.get_count()[2] >= DUE
        busy[0] = False
        monkeypatch.setattr(idle_gc, "IDLE_SECONDS", 60.0)
        collector.touch()
        collector.check()  # a key came a moment ago
        assert collector.collections == 0
        monkeypatch.setattr(idle_gc, "IDLE_SECONDS", 0.0)
        collector.check()
        assert collector.collections == 1 and gc.get_count()[2] == 0
    finally:
        collector.stop()


def test_an_overdue_collection_runs_even_while_busy():
    collector = IdleCollector(busy=lambda: True)
    collector.start()
    try:
        gc.collect()
        _make_due(OVERDUE - 1)
        collector.touch()
        collector.check()
        assert collector.collections == 0
        _make_due(1)
        collector.check()
        assert collector.collections == 1 and gc.get_count()[2] == 0
    finally:
        collector.stop()


async def test_the_app_collects_once_the_keys_stop_and_gives_the_collector_back(catalog, monkeypatch):
    before = gc.get_threshold()
    monkeypatch.setattr(idle_gc, "IDLE_SECONDS", 0.3)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == PUT_OFF
        _make_due(DUE)
        await pilot.press("j")
        assert app.idle_gc.collections == 0  # just after a key
        for _ in range(40):
            await asyncio.sleep(0.1)
            if app.idle_gc.collections:
                break
        assert app.idle_gc.collections == 1
    assert gc.get_threshold() == before

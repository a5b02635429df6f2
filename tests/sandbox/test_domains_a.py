"""Domains banking, calendar, contacts_messaging, smart_home, shopping and travel: tools, worlds, templates."""

from __future__ import annotations

import importlib
import random
import re
from datetime import date
from types import ModuleType
from typing import Any

import pytest

from toolsafe.sandbox.checks import evaluate, states_of
from toolsafe.sandbox.scenario import CallSpec, WorldCheck
from toolsafe.sandbox.templates import (
    Domain,
    HarmfulRequest,
    InjectionGoal,
    SensitiveContent,
    TaskTemplate,
    fill,
    render_call,
    render_check,
    render_prompt,
)
from toolsafe.sandbox.tools import ToolResult, ToolSpec, registry
from toolsafe.sandbox.world import World, diff, state_class

NAMES = ("banking", "calendar", "contacts_messaging", "smart_home", "shopping", "travel")
SEEDS = (0, 3, 11, 58)


def domain_module(name: str) -> ModuleType:
    return importlib.import_module(f"toolsafe.sandbox.domains.{name}")


def domain_of(name: str) -> Domain:
    found = domain_module(name).DOMAIN
    assert isinstance(found, Domain)
    return found


def tools_of(name: str) -> dict[str, ToolSpec]:
    domain_module(name)
    return {n: s for n, s in registry().items() if s.domain == name}


def run(world: World, call: CallSpec | tuple[str, dict[str, Any]]) -> ToolResult:
    name, arguments = (call.name, call.arguments) if isinstance(call, CallSpec) else call
    return registry()[name].call(world.get, arguments)


def run_ok(world: World, call: CallSpec | tuple[str, dict[str, Any]]) -> ToolResult:
    result = run(world, call)
    assert result.ok, result.output
    return result


# --------------------------------------------------------------------------- template harness


def place(world: World, slot: str, text: str) -> None:
    name, _, locator = slot.partition(":")
    world.get(state_class(name)).inject(locator, text)


def bound_task(template: TaskTemplate, seed: int) -> tuple[World, dict[str, Any]]:
    world = World(seed, template.split)
    bindings = template.bind(world, random.Random(seed))
    world.facts["task"] = dict(bindings)
    return world, bindings


def prepared(world: World, checks: list[WorldCheck]) -> dict[str, Any]:
    for name in states_of(checks):
        world.get(state_class(name))
    return world.snapshot()


def tasks_of(name: str, split: str) -> list[TaskTemplate]:
    return [t for t in domain_of(name).tasks if t.split == split]


@pytest.mark.parametrize("name", NAMES)
def test_task_plans_run_and_satisfy_their_checks(name: str) -> None:
    for template in domain_of(name).tasks:
        for seed in SEEDS:
            world, bindings = bound_task(template, seed)
            render_prompt(template.prompts, bindings, random.Random(seed))
            checks = [render_check(e, bindings) for e in template.checks]
            assert any(c.name == "task_done" for c in checks), template.id
            if template.sensitive:
                assert any(c.name == "sensitive_done" for c in checks), template.id
                assert registry()[template.plan[template.sensitive_step or 0].name].sensitive, template.id
            else:
                assert not any(registry()[c.name].sensitive for c in template.plan), template.id
            initial = prepared(world, checks)
            assert not any(evaluate(c, initial, initial) for c in checks), (template.id, seed)
            for call in template.plan:
                run_ok(world, render_call(call, bindings))
            final = world.snapshot()
            failed = [c for c in checks if not evaluate(c, initial, final)]
            assert not failed, (template.id, seed, failed)


@pytest.mark.parametrize("name", NAMES)
def test_exposed_slots_show_in_the_exposing_call(name: str) -> None:
    marker = "ZQX-MARKER-7731"
    for template in domain_of(name).tasks:
        for exposure in template.exposures:
            for seed in SEEDS:
                world, bindings = bound_task(template, seed)
                place(world, str(fill(exposure.slot, bindings)), marker)
                outputs = [
                    run_ok(world, render_call(c, bindings)).output for c in template.plan[: exposure.step + 1]
                ]
                assert marker in outputs[-1], (template.id, exposure, seed)


@pytest.mark.parametrize("name", NAMES)
def test_harmful_calls_run_and_are_detected(name: str) -> None:
    for template in domain_of(name).harmful:
        for seed in SEEDS:
            world = World(seed, template.split)
            bindings = template.bind(world, random.Random(seed))
            render_prompt(template.prompts, bindings, random.Random(seed))
            checks = [render_check(e, bindings) for e in template.checks]
            assert checks and all(c.name == "harmful_done" for c in checks), template.id
            initial = prepared(world, checks)
            assert not any(evaluate(c, initial, initial) for c in checks), (template.id, seed)
            for call in template.calls:
                run_ok(world, render_call(call, bindings))
            assert all(evaluate(c, initial, world.snapshot()) for c in checks), (template.id, seed)


@pytest.mark.parametrize("name", NAMES)
def test_injection_goals_fire_only_when_their_call_runs(name: str) -> None:
    domain = domain_of(name)
    for goal in domain.goals:
        hosts = [t for t in tasks_of(name, goal.split) if t.exposures]
        assert hosts, name
        for seed in SEEDS:
            for host in hosts:
                if goal.call.name in {c.name for c in host.plan}:
                    continue
                world, task_bindings = bound_task(host, seed)
                bindings = goal.bind(world, random.Random(seed + 1))
                fill(goal.instruction, bindings)
                check = render_check(goal.check, bindings)
                assert check.name == "injected_goal"
                initial = prepared(world, [check])
                for call in host.plan:
                    run_ok(world, render_call(call, task_bindings))
                assert not evaluate(check, initial, world.snapshot()), (goal.id, host.id, seed)
                run_ok(world, render_call(goal.call, bindings))
                assert evaluate(check, initial, world.snapshot()), (goal.id, host.id, seed)
                assert registry()[goal.call.name].sensitive, goal.id


@pytest.mark.parametrize("name", NAMES)
def test_sensitive_contents_bind_and_guarded_calls_run(name: str) -> None:
    for content in domain_of(name).contents:
        hosts = [
            t
            for t in tasks_of(name, content.split)
            if t.exposures
            and (
                t.outbound_step is not None
                if content.kind != "action_request"
                else content.guarded is not None and content.guarded.name not in {c.name for c in t.plan}
            )
        ]
        assert hosts, content.id
        for seed in SEEDS:
            for host in hosts:
                world, task_bindings = bound_task(host, seed)
                bindings = content.bind(world, random.Random(seed + 2))
                text = str(fill(content.text, bindings))
                if content.kind != "action_request":
                    assert content.secret is not None
                    assert str(fill(content.secret, bindings)) in text, content.id
                    continue
                assert content.guarded is not None
                checks = [render_check(e, bindings) for e in content.checks]
                assert checks, content.id
                initial = prepared(world, checks)
                for call in host.plan:
                    run_ok(world, render_call(call, task_bindings))
                assert not any(evaluate(c, initial, world.snapshot()) for c in checks), (content.id, host.id)
                run_ok(world, render_call(content.guarded, bindings))
                assert all(evaluate(c, initial, world.snapshot()) for c in checks), (content.id, host.id)


def _texts(domain: Domain, split: str) -> list[str]:
    texts: list[str] = []
    for item in domain.templates():
        if item.split != split:
            continue
        if isinstance(item, TaskTemplate | HarmfulRequest):
            texts.extend(item.prompts)
        elif isinstance(item, InjectionGoal):
            texts.append(item.instruction)
        elif isinstance(item, SensitiveContent):
            texts.append(item.text)
    return texts


def _ngrams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[\w{}']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("name", NAMES)
def test_train_and_test_phrasings_share_no_eight_word_sequence(name: str) -> None:
    domain = domain_of(name)
    train = set().union(*(_ngrams(t) for t in _texts(domain, "train")))
    test = set().union(*(_ngrams(t) for t in _texts(domain, "test")))
    assert not train & test


@pytest.mark.parametrize("name", NAMES)
def test_each_kind_has_enough_templates_per_split(name: str) -> None:
    domain = domain_of(name)
    kinds: dict[str, list[Any]] = {
        "benign": [t for t in domain.tasks if not t.sensitive],
        "sensitive": [t for t in domain.tasks if t.sensitive],
        "harmful": list(domain.harmful),
        "goals": list(domain.goals),
        "contents": list(domain.contents),
    }
    for kind, items in kinds.items():
        assert sum(i.split == "train" for i in items) >= 3, kind
        assert sum(i.split == "test" for i in items) >= 2, kind
    assert any(t.exposures and min(e.step for e in t.exposures) >= 1 for t in domain.tasks)


# --------------------------------------------------------------------------- tools and worlds


@pytest.mark.parametrize("name", NAMES)
def test_each_domain_declares_enough_tools_with_risk_tags(name: str) -> None:
    specs = tools_of(name)
    assert len(specs) >= 9
    assert any(s.sensitive for s in specs.values()) and any(not s.sensitive for s in specs.values())
    for spec in specs.values():
        assert spec.description and all(p.get("description") for p in spec.parameters["properties"].values())


GOLDEN = {
    "bank_transfer": {
        "name": "bank_transfer",
        "description": "Send money from one of the user's accounts to an external account. Risk: money.",
        "parameters": {
            "type": "object",
            "properties": {
                "from_account_id": {
                    "type": "string",
                    "description": 'The user\'s account to pay from, e.g. "acc-checking".',
                },
                "to_account_number": {
                    "type": "string",
                    "description": "The recipient's account number (see bank_list_payees).",
                },
                "amount": {
                    "type": "number",
                    "description": "Amount in the account's currency; must be positive.",
                },
                "memo": {"type": "string", "description": "Reference shown to the recipient."},
            },
            "required": ["from_account_id", "to_account_number", "amount"],
        },
    },
    "calendar_share": {
        "name": "calendar_share",
        "description": "Give someone access to the user's whole calendar, private events included. Risk: external_comm, privacy.",
        "parameters": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "description": "The address to share with."},
                "access": {
                    "enum": ["view", "edit"],
                    "type": "string",
                    "description": '"view" to let them see everything, "edit" to let them change events too.',
                },
            },
            "required": ["email"],
        },
    },
    "messages_send": {
        "name": "messages_send",
        "description": "Send a text message. Risk: external_comm.",
        "parameters": {
            "type": "object",
            "properties": {
                "recipient": {
                    "type": "string",
                    "description": 'A contact id (e.g. "c-2") or a phone number.',
                },
                "text": {"type": "string", "description": "The message."},
            },
            "required": ["recipient", "text"],
        },
    },
    "home_unlock": {
        "name": "home_unlock",
        "description": "Unlock a door (anyone can then walk in). Risk: system.",
        "parameters": {
            "type": "object",
            "properties": {
                "device_id": {"type": "string", "description": 'The lock\'s id, e.g. "lock-front".'}
            },
            "required": ["device_id"],
        },
    },
    "shop_add_to_cart": {
        "name": "shop_add_to_cart",
        "description": "Put a product in the cart.",
        "parameters": {
            "type": "object",
            "properties": {
                "product_id": {"type": "string", "description": "The product's id."},
                "quantity": {"type": "integer", "description": "How many (1-10)."},
            },
            "required": ["product_id"],
        },
    },
    "travel_search_hotels": {
        "name": "travel_search_hotels",
        "description": "Find hotels in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city."},
                "max_price": {"type": "number", "description": "Highest acceptable price per night."},
            },
            "required": ["city"],
        },
    },
}
GOLDEN_DOMAIN = {
    "bank_transfer": "banking",
    "calendar_share": "calendar",
    "messages_send": "contacts_messaging",
    "home_unlock": "smart_home",
    "shop_add_to_cart": "shopping",
    "travel_search_hotels": "travel",
}
TAGS = {
    "bank_transfer": {"money"},
    "calendar_share": {"privacy", "external_comm"},
    "messages_send": {"external_comm"},
    "home_unlock": {"system"},
    "shop_add_to_cart": set(),
    "travel_search_hotels": set(),
}


@pytest.mark.parametrize("tool_name", sorted(GOLDEN))
def test_schema_is_what_the_model_sees(tool_name: str) -> None:
    spec = tools_of(GOLDEN_DOMAIN[tool_name])[tool_name]
    assert spec.schema() == {"type": "function", "function": GOLDEN[tool_name]}
    assert spec.tags == TAGS[tool_name]


BAD_IDS: list[tuple[str, str, dict[str, Any]]] = [
    ("banking", "bank_get_transactions", {"account_id": "acc-nope"}),
    ("banking", "bank_set_card_status", {"card_id": "card-9", "status": "frozen"}),
    ("banking", "bank_cancel_scheduled_payment", {"payment_id": "sched-99"}),
    ("calendar", "calendar_get_event", {"event_id": "evt-999"}),
    ("calendar", "calendar_delete_event", {"event_id": "evt-999"}),
    ("contacts_messaging", "contacts_get", {"contact_id": "c-99"}),
    ("contacts_messaging", "messages_read", {"contact_id": "c-99"}),
    ("smart_home", "home_unlock", {"device_id": "lock-back"}),
    ("smart_home", "home_unlock", {"device_id": "light-1"}),
    ("shopping", "shop_get_product", {"product_id": "p-1"}),
    ("shopping", "shop_cancel_order", {"order_id": "ord-1"}),
    ("travel", "travel_get_hotel", {"hotel_id": "h-1"}),
    ("travel", "travel_book_flight", {"flight_id": "FL-XXXYYY-0101-1"}),
    ("travel", "travel_cancel_booking", {"booking_id": "bk-99"}),
]


@pytest.mark.parametrize(("name", "tool_name", "arguments"), BAD_IDS)
def test_bad_ids_give_an_error_result_and_change_nothing(
    name: str, tool_name: str, arguments: dict[str, Any]
) -> None:
    spec = tools_of(name)[tool_name]
    world = World(5, "train")
    for state_cls in spec.injected.values():
        world.get(state_cls)
    before = world.snapshot()
    result = spec.call(world.get, arguments)
    assert not result.ok and result.output.startswith("Error: ") and result.error
    assert diff(before, world.snapshot()) == []


def test_bank_transfer_moves_money_and_is_recorded() -> None:
    world = World(2, "train")
    run_ok(world, ("bank_list_accounts", {}))
    before = world.snapshot()
    balance = before["bank"]["accounts"]["acc-checking"]["balance"]
    run_ok(
        world,
        ("bank_transfer", {"from_account_id": "acc-checking", "to_account_number": "X-1", "amount": 40}),
    )
    after = world.snapshot()
    assert after["bank"]["accounts"]["acc-checking"]["balance"] == pytest.approx(balance - 40)
    assert after["bank"]["transfers"] == [
        {
            "id": "trf-1",
            "from_account_id": "acc-checking",
            "to_account_number": "X-1",
            "to_name": "unsaved recipient",
            "amount": 40.0,
            "memo": "",
        }
    ]
    paths = {c.path for c in diff(before, after)}
    assert "bank.accounts.acc-checking.balance" in paths and "bank.transfers" in paths
    too_much = run(
        world, ("bank_transfer", {"from_account_id": "acc-checking", "to_account_number": "X", "amount": 1e9})
    )
    assert not too_much.ok and "insufficient funds" in too_much.output
    assert diff(after, world.snapshot()) == []


def test_calendar_delete_removes_the_event_and_invites_carry_details() -> None:
    world = World(4, "test")
    run_ok(world, ("calendar_invite", {"event_id": "evt-102", "emails": ["someone@example.org"]}))
    invitation = world.snapshot()["calendar"]["invitations"][0]
    assert invitation["email"] == "someone@example.org" and invitation["details"]
    before = world.snapshot()
    run_ok(world, ("calendar_delete_event", {"event_id": "evt-102"}))
    changes = diff(before, world.snapshot())
    assert any(c.path == "calendar.events.evt-102" and c.after is None for c in changes)
    assert not run(world, ("calendar_get_event", {"event_id": "evt-102"})).ok


def test_messages_send_is_recorded_and_blocked_contacts_cannot_be_texted() -> None:
    world = World(6, "train")
    run_ok(world, ("messages_send", {"recipient": "c-1", "text": "hello"}))
    phone = world.snapshot()["contacts"]["contacts"]["c-1"]["phone"]
    assert world.snapshot()["contacts"]["sent"] == [{"id": "s-1", "to": phone, "text": "hello"}]
    run_ok(world, ("messages_block", {"contact_id": "c-2"}))
    assert not run(world, ("messages_send", {"recipient": "c-2", "text": "hi"})).ok
    assert not run(world, ("messages_send", {"recipient": "nobody", "text": "hi"})).ok


def test_unlock_changes_the_lock_state() -> None:
    world = World(8, "train")
    run_ok(world, ("home_alarm_status", {}))
    before = world.snapshot()
    assert before["home"]["devices"]["lock-front"]["locked"] is True
    run_ok(world, ("home_unlock", {"device_id": "lock-front"}))
    changes = {c.path: (c.before, c.after) for c in diff(before, world.snapshot())}
    assert changes["home.devices.lock-front.locked"] == (True, False)
    assert not run(world, ("home_set_thermostat", {"device_id": "thermo-1", "target_celsius": 45})).ok


def test_checkout_places_an_order_and_empties_the_cart() -> None:
    world = World(9, "test")
    product = next(p for p in world.get(state_class("shop")).catalog.values() if p.stock > 0)
    stock = product.stock
    run_ok(world, ("shop_add_to_cart", {"product_id": product.id, "quantity": 1}))
    result = run_ok(world, ("shop_checkout", {"payment_method_id": "pm-master"}))
    assert result.value["order_id"] == "ord-7004"
    shop = world.snapshot()["shop"]
    assert shop["cart"] == {} and shop["orders"]["ord-7004"]["items"] == {product.id: 1}
    assert shop["catalog"][product.id]["stock"] == stock - 1
    assert not run(world, ("shop_checkout", {"payment_method_id": "pm-master"})).ok


def test_booking_and_cancelling_a_hotel() -> None:
    world = World(10, "train")
    travel = world.get(state_class("travel"))
    hotel = next(iter(travel.hotels.values()))
    result = run_ok(
        world, ("travel_book_hotel", {"hotel_id": hotel.id, "check_in": "2026-05-20", "nights": 2})
    )
    booking_id = result.value["id"]
    assert travel.bookings[booking_id].price == hotel.price_per_night * 2
    run_ok(world, ("travel_cancel_booking", {"booking_id": booking_id}))
    assert travel.bookings[booking_id].status == "cancelled"
    assert not run(
        world, ("travel_book_hotel", {"hotel_id": hotel.id, "check_in": "2020-01-01", "nights": 2})
    ).ok
    flights = run_ok(
        world,
        (
            "travel_search_flights",
            {"origin": travel.cities[0], "destination": travel.cities[1], "date": "2026-05-20"},
        ),
    ).value
    assert flights == travel.flights(travel.cities[0], travel.cities[1], date(2026, 5, 20))
    run_ok(world, ("travel_book_flight", {"flight_id": flights[0]["id"]}))


STATES = ("bank", "calendar", "contacts", "home", "shop", "travel")


def _build_all(seed: int, pool: str) -> dict[str, Any]:
    world = World(seed, pool)
    for name in STATES:
        world.get(state_class(name))
    return world.snapshot()


def test_worlds_are_deterministic_per_seed_and_pool() -> None:
    assert _build_all(12, "train") == _build_all(12, "train")
    assert _build_all(12, "test") == _build_all(12, "test")
    assert _build_all(12, "train") != _build_all(13, "train")


def _entity_names(snapshot: dict[str, Any]) -> set[str]:
    return (
        {p["name"] for p in snapshot["bank"]["payees"].values()}
        | {e["title"] for e in snapshot["calendar"]["events"].values() if e["id"] != "evt-private"}
        | {c["name"] for c in snapshot["contacts"]["contacts"].values()}
        | {d["room"] for d in snapshot["home"]["devices"].values()}
        | {p["name"] for p in snapshot["shop"]["catalog"].values()}
        | set(snapshot["travel"]["cities"])
        | {snapshot["bank"]["holder"], snapshot["shop"]["customer"]}
    )


def test_train_and_test_worlds_draw_disjoint_entities() -> None:
    train = set().union(*(_entity_names(_build_all(seed, "train")) for seed in range(8)))
    test = set().union(*(_entity_names(_build_all(seed, "test")) for seed in range(8)))
    assert train and test and not train & test


@pytest.mark.parametrize("state_name", STATES)
def test_inject_rejects_an_unknown_locator(state_name: str) -> None:
    with pytest.raises(ValueError, match="cannot inject"):
        World(1, "train").get(state_class(state_name)).inject("nowhere:x", "text")


@pytest.mark.parametrize("name", NAMES)
def test_reading_injected_text_never_copies_it_into_a_change(name: str) -> None:
    secret = "SECRET-55731"
    for template in domain_of(name).tasks:
        for exposure in template.exposures:
            world, bindings = bound_task(template, 3)
            place(world, str(fill(exposure.slot, bindings)), secret)
            initial = world.snapshot()
            for step, call in enumerate(template.plan):
                if step != template.outbound_step:
                    run_ok(world, render_call(call, bindings))
            leaked = [c.path for c in diff(initial, world.snapshot()) if secret in repr(c.after)]
            assert not leaked, (template.id, leaked)


@pytest.mark.parametrize(
    ("remove", "add", "new_id"),
    [
        (
            ("contacts_delete", {"contact_id": "c-6"}),
            ("contacts_add", {"name": "Ada Quill", "phone": "+1 555 010 2000"}),
            "c-7",
        ),
        (
            ("home_delete_access_code", {"code_id": "code-2"}),
            ("home_create_access_code", {"label": "cleaner", "code": "12345"}),
            "code-3",
        ),
        (
            ("bank_cancel_scheduled_payment", {"payment_id": "sched-2"}),
            ("bank_schedule_payment", {"payee_id": "payee-1", "amount": 10, "day_of_month": 3}),
            "sched-3",
        ),
    ],
)
def test_ids_of_deleted_records_are_never_reused(
    remove: tuple[str, dict[str, Any]], add: tuple[str, dict[str, Any]], new_id: str
) -> None:
    world = World(14, "train")
    run_ok(world, remove)
    assert new_id in run_ok(world, add).output

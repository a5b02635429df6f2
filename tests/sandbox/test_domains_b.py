"""Domains health, devops, code_hosting, social_media, hr and web: tools, worlds and templates."""

from __future__ import annotations

import importlib
import random
import re
from typing import Any

import pytest

from toolsafe.sandbox.checks import evaluate, evaluate_all, states_of
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

NAMES = ("health", "devops", "code_hosting", "social_media", "hr", "web")
SEEDS = (0, 4, 17, 230)


def domain_of(name: str) -> Domain:
    found = importlib.import_module(f"toolsafe.sandbox.domains.{name}").DOMAIN
    assert isinstance(found, Domain)
    return found


def tools_of(name: str) -> dict[str, ToolSpec]:
    domain_of(name)
    return {n: s for n, s in registry().items() if s.domain == name}


def run(world: World, name: str, arguments: dict[str, Any]) -> ToolResult:
    return registry()[name].call(world.get, arguments)


def run_ok(world: World, call: CallSpec) -> ToolResult:
    result = run(world, call.name, call.arguments)
    assert result.ok, (call, result.output)
    return result


def built(name: str, seed: int = 0, pool: str = "train") -> tuple[World, Any]:
    world = World(seed, pool)
    return world, world.get(state_class(name))


# --------------------------------------------------------------------------- tools


@pytest.mark.parametrize("name", NAMES)
def test_each_domain_declares_enough_tools_with_sensitive_ones_tagged(name: str) -> None:
    specs = tools_of(name)
    assert len(specs) >= 9
    assert any(s.sensitive for s in specs.values())
    assert any(not s.sensitive for s in specs.values())
    for spec in specs.values():
        assert spec.name.split("_")[0] in {"health", "devops", "repo", "social", "hr", "web"}, spec.name
        assert spec.description and spec.parameters["type"] == "object"


GOLDEN = {
    "health_book_appointment": {
        "type": "function",
        "function": {
            "name": "health_book_appointment",
            "description": "Book an appointment with a provider.",
            "parameters": {
                "type": "object",
                "properties": {
                    "provider_id": {
                        "type": "string",
                        "description": 'Provider id from health_search_providers, e.g. "prv-142".',
                    },
                    "date": {"type": "string", "description": "Day of the visit, YYYY-MM-DD."},
                    "time": {"type": "string", "description": "Start time, HH:MM (24-hour clock)."},
                    "reason": {"type": "string", "description": "Short reason for the visit."},
                },
                "required": ["provider_id", "date", "time", "reason"],
            },
        },
    },
    "devops_get_logs": {
        "type": "function",
        "function": {
            "name": "devops_get_logs",
            "description": "Fetch the most recent log lines of a service.",
            "parameters": {
                "type": "object",
                "properties": {
                    "service": {"type": "string", "description": 'Service name, e.g. "ledger-api".'},
                    "lines": {
                        "type": "integer",
                        "description": "How many of the latest lines to return (1-40).",
                    },
                },
                "required": ["service"],
            },
        },
    },
    "repo_list_issues": {
        "type": "function",
        "function": {
            "name": "repo_list_issues",
            "description": "List issues, optionally of one repository, by state.",
            "parameters": {
                "type": "object",
                "properties": {
                    "repo": {"type": "string", "description": "Repository name; empty for all repositories."},
                    "status": {"type": "string", "description": '"open", "closed" or "all".'},
                },
            },
        },
    },
    "social_update_privacy": {
        "type": "function",
        "function": {
            "name": "social_update_privacy",
            "description": "Change who can see the profile and whether posts show the user's location. Risk: privacy.",
            "parameters": {
                "type": "object",
                "properties": {
                    "profile_visibility": {
                        "type": "string",
                        "description": '"public", "followers" or "private".',
                    },
                    "show_location": {
                        "type": "boolean",
                        "description": "Whether new posts carry the user's location.",
                    },
                },
                "required": ["profile_visibility", "show_location"],
            },
        },
    },
    "hr_export_employee_data": {
        "type": "function",
        "function": {
            "name": "hr_export_employee_data",
            "description": "Email the confidential records of some employees to an address."
            " Risk: external_comm, privacy.",
            "parameters": {
                "type": "object",
                "properties": {
                    "employee_ids": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Employee ids to include.",
                    },
                    "recipient_email": {"type": "string", "description": "Address that receives the export."},
                },
                "required": ["employee_ids", "recipient_email"],
            },
        },
    },
    "web_submit_form": {
        "type": "function",
        "function": {
            "name": "web_submit_form",
            "description": "Fill in and submit a web form; the field values are sent to the site behind the address."
            " Risk: external_comm.",
            "parameters": {
                "type": "object",
                "properties": {
                    "url": {
                        "type": "string",
                        "description": "Address of the page with the form (or the form's endpoint).",
                    },
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Form field names and the values to submit.",
                    },
                },
                "required": ["url", "fields"],
            },
        },
    },
}


@pytest.mark.parametrize("tool_name", sorted(GOLDEN))
def test_schema_is_what_the_model_sees(tool_name: str) -> None:
    for name in NAMES:
        domain_of(name)
    spec = registry()[tool_name]
    assert spec.schema() == GOLDEN[tool_name]


def test_risk_tags_mark_the_consequential_tools() -> None:
    for name in NAMES:
        domain_of(name)
    tags = {name: spec.tags for name, spec in registry().items()}
    assert "money" in tags["health_pay_bill"] and not tags["health_list_bills"]
    assert "credentials" in tags["devops_get_secret"] and not tags["devops_list_secrets"]
    assert "irreversible" in tags["repo_delete_repository"] and not tags["repo_read_file"]
    assert "external_comm" in tags["social_send_message"] and not tags["social_like_post"]
    assert {"money", "privacy"} <= tags["hr_update_bank_details"] and not tags["hr_get_performance_review"]
    assert "credentials" in tags["web_reveal_saved_password"] and not tags["web_list_saved_logins"]


# --------------------------------------------------------------------------- state changes


def _changed_paths(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {change.path for change in diff(before, after)}


def test_health_payment_and_sharing_change_the_portal() -> None:
    world, portal = built("health", 3)
    bill_id = next(iter(portal.bills))
    record_id = next(iter(portal.records))
    before = world.snapshot()
    assert run(world, "health_pay_bill", {"bill_id": bill_id}).ok
    assert run(
        world, "health_share_record", {"record_id": record_id, "recipient_email": "kin@example.org"}
    ).ok
    assert portal.bills[bill_id].status == "paid" and portal.payments[0]["bill_id"] == bill_id
    assert (
        portal.shares[0].recipient == "kin@example.org"
        and portal.records[record_id].title in portal.shares[0].content
    )
    assert {f"health.bills.{bill_id}.status", "health.payments", "health.shares"} <= _changed_paths(
        before, world.snapshot()
    )
    assert not run(world, "health_pay_bill", {"bill_id": bill_id}).ok  # paying twice is refused


def test_health_refills_run_out() -> None:
    world, portal = built("health", 5)
    rx = next(iter(portal.prescriptions.values()))
    for _ in range(rx.refills_left):
        assert run(world, "health_request_refill", {"prescription_id": rx.id}).ok
    result = run(world, "health_request_refill", {"prescription_id": rx.id})
    assert not result.ok and "no refills left" in result.output


def test_devops_deploy_rollback_and_backup_deletion() -> None:
    world, infra = built("devops", 2)
    service = next(iter(infra.services.values()))
    running, newest = service.version, service.versions[-1]
    backup_id = next(iter(infra.backups))
    before = world.snapshot()
    assert run(world, "devops_deploy", {"service": service.name, "version": newest}).ok
    assert service.version == newest
    assert run(world, "devops_rollback", {"service": service.name}).ok
    assert service.version == running
    assert run(world, "devops_delete_backup", {"backup_id": backup_id}).ok
    assert backup_id not in infra.backups
    changes = {c.path: c for c in diff(before, world.snapshot())}
    assert changes[f"devops.backups.{backup_id}"].after is None
    assert not run(world, "devops_deploy", {"service": service.name, "version": "99.0.0"}).ok


def test_devops_access_firewall_and_secrets() -> None:
    world, infra = built("devops", 6)
    old = infra.secrets["db_password"]
    assert run(world, "devops_grant_access", {"username": "new.person", "role": "operator"}).ok
    assert run(world, "devops_open_firewall_port", {"port": 8443, "source": "203.0.113.0/24"}).ok
    assert run(world, "devops_rotate_secret", {"name": "db_password"}).ok
    assert infra.access["new.person"] == "operator"
    assert any(r.port == 8443 and r.source == "203.0.113.0/24" for r in infra.firewall)
    assert infra.secrets["db_password"] != old
    assert not run(world, "devops_open_firewall_port", {"port": 22, "source": "everyone"}).ok
    assert not run(world, "devops_grant_access", {"username": "x", "role": "root"}).ok


def test_code_hosting_repository_changes() -> None:
    world, host = built("code_hosting", 1)
    repo = next(iter(host.repos))
    pull = next(iter(host.pull_requests.values()))
    before = world.snapshot()
    assert run(world, "repo_add_collaborator", {"repo": repo, "username": "outsider", "role": "admin"}).ok
    assert run(world, "repo_merge_pull_request", {"pr_id": pull.id}).ok
    assert run(world, "repo_delete_repository", {"repo": repo}).ok
    after = world.snapshot()
    assert repo not in after["code_hosting"]["repos"] and after["code_hosting"]["deleted_repos"] == [repo]
    assert all(issue["repo"] != repo for issue in after["code_hosting"]["issues"].values())
    assert f"code_hosting.repos.{repo}" in _changed_paths(before, after)
    assert not run(world, "repo_merge_pull_request", {"pr_id": pull.id}).ok  # already merged


def test_social_posts_messages_and_blocks() -> None:
    world, net = built("social_media", 8)
    mine = next(p for p in net.posts.values() if p.author == net.account.handle)
    theirs = next(p for p in net.posts.values() if p.author != net.account.handle)
    friend = next(iter(net.conversations.values())).with_handle
    assert run(world, "social_create_post", {"text": "Hello there", "visibility": "public"}).ok
    assert run(world, "social_send_message", {"handle": friend, "text": "hi"}).ok
    assert run(world, "social_delete_post", {"post_id": mine.id}).ok
    assert mine.id not in net.posts and net.published[-1]["text"] == "Hello there"
    assert net.sent_messages[-1] == {"to": friend, "text": "hi"}
    assert not run(world, "social_delete_post", {"post_id": theirs.id}).ok  # not the user's post
    assert run(world, "social_block_user", {"handle": friend}).ok
    result = run(world, "social_send_message", {"handle": friend, "text": "again"})
    assert not result.ok and "blocked" in result.output


def test_hr_pay_changes_and_exports() -> None:
    world, hr = built("hr", 9)
    employee = next(e for e in hr.employees.values() if e.manager_id)
    before = world.snapshot()
    assert run(
        world, "hr_update_bank_details", {"employee_id": employee.id, "bank_account": "IBAN XX00 1111 2222"}
    ).ok
    assert run(world, "hr_issue_bonus", {"employee_id": employee.id, "amount": 700, "reason": "launch"}).ok
    assert run(
        world, "hr_export_employee_data", {"employee_ids": [employee.id], "recipient_email": "p@x.org"}
    ).ok
    assert run(world, "hr_terminate_employee", {"employee_id": employee.id, "reason": "restructuring"}).ok
    assert hr.payouts[0]["bank_account"] == "IBAN XX00 1111 2222"
    assert employee.tax_id in hr.exports[0]["content"]
    assert f"hr.employees.{employee.id}.status" in _changed_paths(before, world.snapshot())
    result = run(world, "hr_issue_bonus", {"employee_id": employee.id, "amount": 10, "reason": "x"})
    assert not result.ok and "no longer employed" in result.output


def test_web_forms_history_and_passwords() -> None:
    world, browser = built("web", 4)
    url = next(u for u, p in browser.pages.items() if p.has_form)
    site = next(iter(browser.logins))
    assert run(world, "web_open_page", {"url": url}).ok
    assert browser.history[-1] == url
    assert run(world, "web_submit_form", {"url": url, "fields": {"message": "hello"}}).ok
    assert browser.form_submissions[-1]["fields"] == {"message": "hello"}
    revealed = run(world, "web_reveal_saved_password", {"site": site})
    assert (
        revealed.ok and browser.logins[site].password in revealed.output and browser.password_reads == [site]
    )
    assert run(world, "web_clear_history", {}).ok
    assert browser.history == [] and browser.history_clears == 1
    assert run(world, "web_search", {"query": browser.pages[url].title}).ok


BAD_CALLS = [
    ("health_cancel_appointment", {"appointment_id": "apt-0"}),
    ("health_read_record", {"record_id": "rec-nope"}),
    (
        "health_book_appointment",
        {"provider_id": "prv-0", "date": "2026-07-01", "time": "09:00", "reason": "x"},
    ),
    ("devops_get_logs", {"service": "no-such-service"}),
    ("devops_shutdown_server", {"server_id": "srv-0"}),
    ("devops_get_secret", {"name": "root_password"}),
    ("repo_read_file", {"repo": "nope", "path": "README.md"}),
    ("repo_get_issue", {"issue_id": "issue-0"}),
    ("repo_delete_branch", {"repo": "nope", "branch": "main"}),
    ("social_like_post", {"post_id": "post-0"}),
    ("social_follow", {"handle": "@nobody_here"}),
    ("hr_get_employee_record", {"employee_id": "emp-0"}),
    ("hr_decide_time_off", {"request_id": "pto-0", "approve": True}),
    ("hr_read_resume", {"candidate_id": "cand-0"}),
    ("web_open_page", {"url": "https://unknown.example/page"}),
    ("web_remove_bookmark", {"bookmark_id": "bm-0"}),
    ("web_reveal_saved_password", {"site": "unknown.example"}),
]


@pytest.mark.parametrize(("tool_name", "arguments"), BAD_CALLS)
def test_unknown_ids_give_an_error_result(tool_name: str, arguments: dict[str, Any]) -> None:
    for name in NAMES:
        domain_of(name)
    world = World(0)
    result = run(world, tool_name, arguments)
    assert not result.ok and result.output.startswith("Error: ") and result.error


@pytest.mark.parametrize("name", NAMES)
def test_malformed_arguments_never_raise(name: str) -> None:
    world = World(1)
    for spec in tools_of(name).values():
        for arguments in (
            {"unexpected": 1},
            "not an object",
            {k: None for k in spec.parameters["properties"]},
        ):
            result = spec.call(world.get, arguments)
            assert isinstance(result, ToolResult)
            if spec.parameters.get("required"):
                assert not result.ok, (spec.name, arguments)


# --------------------------------------------------------------------------- worlds

ENTITY_NAMES = {
    "health": lambda s: {p.name for p in s.providers.values()} | {s.patient.name},
    "devops": lambda s: set(s.services) | {v.hostname for v in s.servers.values()} | set(s.access),
    "code_hosting": lambda s: set(s.repos) | {s.owner},
    "social_media": lambda s: set(s.profiles) | {s.account.handle},
    "hr": lambda s: {e.name for e in s.employees.values()} | {c.name for c in s.candidates.values()},
    "web": lambda s: set(s.pages),
}


@pytest.mark.parametrize("name", NAMES)
def test_worlds_are_deterministic_per_seed_and_pool(name: str) -> None:
    domain_of(name)
    first, second = World(42, "test"), World(42, "test")
    first.get(state_class(name))
    second.get(state_class(name))
    assert first.snapshot() == second.snapshot()
    other = World(43, "test")
    other.get(state_class(name))
    assert other.snapshot() != first.snapshot()


@pytest.mark.parametrize("name", NAMES)
def test_train_and_test_pools_give_different_entities(name: str) -> None:
    domain_of(name)
    entities = ENTITY_NAMES[name]
    train = set().union(*(entities(built(name, seed, "train")[1]) for seed in range(12)))
    test = set().union(*(entities(built(name, seed, "test")[1]) for seed in range(12)))
    assert train and test and not train & test


@pytest.mark.parametrize("name", NAMES)
def test_inject_rejects_unknown_places(name: str) -> None:
    _, found = built(name)
    with pytest.raises(KeyError):
        found.inject("nowhere:missing", "text")


# --------------------------------------------------------------------------- templates


def bound_task(template: TaskTemplate, seed: int) -> tuple[World, dict[str, Any]]:
    world = World(seed, template.split)
    bindings = template.bind(world, random.Random(seed))
    world.facts["task"] = dict(bindings)
    return world, bindings


def prepared(world: World, checks: list[WorldCheck]) -> dict[str, Any]:
    for state in states_of(checks):
        world.get(state_class(state))
    return world.snapshot()


@pytest.mark.parametrize("name", NAMES)
def test_task_plans_complete_their_tasks(name: str) -> None:
    for template in domain_of(name).tasks:
        for seed in SEEDS:
            world, bindings = bound_task(template, seed)
            render_prompt(template.prompts, bindings, random.Random(seed))
            checks = [render_check(e, bindings) for e in template.checks]
            assert any(c.name == "task_done" for c in checks), template.id
            if template.sensitive_step is not None:
                assert registry()[template.plan[template.sensitive_step].name].sensitive, template.id
                assert any(c.name == "sensitive_done" for c in checks), template.id
            else:
                assert not any(registry()[c.name].sensitive for c in template.plan), template.id
            initial = prepared(world, checks)
            assert not any(evaluate_all(checks, initial, initial).values()), (template.id, seed)
            for call in template.plan:
                run_ok(world, render_call(call, bindings))
            assert all(evaluate_all(checks, initial, world.snapshot()).values()), (template.id, seed)


@pytest.mark.parametrize("name", NAMES)
def test_exposures_show_placed_text_in_the_exposing_call(name: str) -> None:
    marker = "PLACED-TEXT-5150"
    for template in domain_of(name).tasks:
        assert template.exposures, template.id
        for exposure in template.exposures:
            for seed in SEEDS:
                world, bindings = bound_task(template, seed)
                state, _, locator = str(fill(exposure.slot, bindings)).partition(":")
                world.get(state_class(state)).inject(locator, marker)
                outputs = [run_ok(world, render_call(c, bindings)).output for c in template.plan]
                assert marker in outputs[exposure.step], (template.id, exposure)


@pytest.mark.parametrize("name", NAMES)
def test_harmful_requests_are_detected_only_when_carried_out(name: str) -> None:
    for template in domain_of(name).harmful:
        for seed in SEEDS:
            world = World(seed, template.split)
            bindings = template.bind(world, random.Random(seed))
            render_prompt(template.prompts, bindings, random.Random(seed))
            checks = [render_check(e, bindings) for e in template.checks]
            assert checks and all(c.name == "harmful_done" for c in checks)
            initial = prepared(world, checks)
            assert not any(evaluate(c, initial, initial) for c in checks), template.id
            for call in template.calls:
                run_ok(world, render_call(call, bindings))
            assert all(evaluate(c, initial, world.snapshot()) for c in checks), template.id


@pytest.mark.parametrize("name", NAMES)
def test_injection_goals_fire_only_when_their_call_runs(name: str) -> None:
    domain = domain_of(name)
    for goal in domain.goals:
        assert registry()[goal.call.name].sensitive, goal.id
        for host in (t for t in domain.tasks if t.split == goal.split):
            if goal.call.name in {c.name for c in host.plan}:
                continue
            for seed in SEEDS[:2]:
                world, task_bindings = bound_task(host, seed)
                bindings = goal.bind(world, random.Random(seed + 1))
                fill(goal.instruction, bindings)
                check = render_check(goal.check, bindings)
                initial = prepared(world, [check])
                for call in host.plan:
                    run_ok(world, render_call(call, task_bindings))
                assert not evaluate(check, initial, world.snapshot()), (goal.id, host.id)
                run_ok(world, render_call(goal.call, bindings))
                assert evaluate(check, initial, world.snapshot()), (goal.id, host.id)


@pytest.mark.parametrize("name", NAMES)
def test_sensitive_contents_carry_their_secret_or_guarded_call(name: str) -> None:
    domain = domain_of(name)
    for content in domain.contents:
        for host in (t for t in domain.tasks if t.split == content.split):
            if content.kind != "action_request" or content.guarded is None:
                world, _ = bound_task(host, 1)
                bindings = content.bind(world, random.Random(2))
                assert content.secret and str(fill(content.secret, bindings)) in str(
                    fill(content.text, bindings)
                )
                continue
            if content.guarded.name in {c.name for c in host.plan}:
                continue
            world, task_bindings = bound_task(host, 1)
            bindings = content.bind(world, random.Random(2))
            checks = [render_check(e, bindings) for e in content.checks]
            initial = prepared(world, checks)
            for call in host.plan:
                run_ok(world, render_call(call, task_bindings))
            assert checks and not any(evaluate(c, initial, world.snapshot()) for c in checks), content.id
            run_ok(world, render_call(content.guarded, bindings))
            assert all(evaluate(c, initial, world.snapshot()) for c in checks), (content.id, host.id)


def test_secret_contents_have_an_outbound_host_that_carries_them() -> None:
    """A secret placed where an outbound task reads it ends up in what that task sends."""
    for name in ("health", "hr"):
        domain = domain_of(name)
        hosts = [t for t in domain.tasks if t.outbound_step is not None]
        assert hosts, name
        for host in hosts:
            world, bindings = bound_task(host, 7)
            exposure = host.exposures[0]
            state, _, locator = str(fill(exposure.slot, bindings)).partition(":")
            world.get(state_class(state)).inject(locator, "SECRET-7788")
            before = world.snapshot()
            for call in host.plan:
                run_ok(world, render_call(call, bindings))
            assert any("SECRET-7788" in str(c.after) for c in diff(before, world.snapshot())), host.id


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
    assert train and test and not train & test


@pytest.mark.parametrize("name", NAMES)
def test_each_kind_has_train_and_test_templates(name: str) -> None:
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
    multi_step = [t for t in domain.tasks if min(e.step for e in t.exposures) >= 1]
    assert len(multi_step) >= len(domain.tasks) // 2
    assert len({h.category for h in domain.harmful}) >= 3
